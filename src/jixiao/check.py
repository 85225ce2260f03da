"""Reading and validating together: what ``jixiao check`` and the web app run on a table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.findings import SECTION_TITLES, Finding, Location, ReadError, Report, Severity, finding
from jixiao.layouts import UNKNOWN, fit_layout
from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.model.values import compact
from jixiao.profile import DEFAULT, Profile
from jixiao.read import ReadResult
from jixiao.read.selfeval import SelfevalReadResult, read_document, read_document_path
from jixiao.rules import validate, validate_selfeval
from jixiao.scoring import ScoredEvaluation

#: Codes :func:`check_table` emits itself, from what it is told besides the table.
CHECK_CODES: Final = frozenset({"department-name-mismatch", "part-absent"})


def check_table(
    table: TargetTable,
    source: str = "",
    read_findings: Iterable[Finding] = (),
    *,
    department: str | None = None,
    layout: str | None = None,
) -> Report:
    """The report for a table: what reading it found and every rule's findings, in table order.

    Where the reader already reported an error at a place (an amount it could not parse, say), a
    rule's finding at the same place says nothing new and is left out.  ``department``: the
    department the table is filed for (the web system's); a 部门名称 naming another is a warning.
    ``layout``: the layout it was read in; the rules then judge what that layout asks for
    (:func:`jixiao.layouts.fit_layout`).  Without one every rule applies.
    """
    findings = list(read_findings)
    flagged = [f.location for f in findings if f.severity is Severity.ERROR and f.location.section]
    judged = [f for f in validate(table) if not any(f.location.same_place(place) for place in flagged)]
    findings.extend(judged if layout is None else fit_layout(judged, table, layout))
    named = table.department.name
    if department is not None and named.strip() and compact(named) != compact(department):
        where = Location("department", field="name")
        findings.append(finding("department-name-mismatch", where, name=named, department=department))
    findings.sort(key=_in_table_order)
    return Report(source, findings, layout)


#: Form order: findings without a place first, then section by section as SECTION_TITLES lists them.
_SECTION_ORDER: Final = {section: order for order, section in enumerate((None, *SECTION_TITLES))}


def _in_table_order(finding: Finding) -> tuple[int, int]:
    """Findings in the order of the form: rows that could not be read first, then section by section."""
    return _SECTION_ORDER.get(finding.location.section, 0), finding.location.row or 0


#: The ``kind`` of a self-evaluation's report (a target table's report has none, as the spec has it).
SELFEVAL_KIND: Final = "selfeval"


def check_selfeval(
    evaluation: SelfEvaluation,
    profile: Profile = DEFAULT,
    source: str = "",
    read_findings: Iterable[Finding] = (),
) -> Report:
    """The report for a self-evaluation judged by ``profile``: what reading it found and every
    self-evaluation rule's findings (never the target table's), in the order of the printed form."""
    findings = [*read_findings, *validate_selfeval(ScoredEvaluation.of(evaluation, profile))]
    findings.sort(key=_in_selfeval_order)
    return Report(source, findings, kind=SELFEVAL_KIND)


_SELFEVAL_ORDER: Final = {section: order for order, section in enumerate((None, *SELFEVAL_SECTION_TITLES))}


def _in_selfeval_order(finding: Finding) -> tuple[int, int]:
    return _SELFEVAL_ORDER.get(finding.location.section, 0), finding.location.row or 0


def _checked(source: str, read: Callable[[], ReadResult | SelfevalReadResult], profile: Profile) -> Report:
    try:
        result = read()
    except ReadError as error:  # unreadable: a report with its one fatal finding
        return Report(source, [error.finding], UNKNOWN)
    if isinstance(result, SelfevalReadResult):
        return check_selfeval(result.evaluation, profile, source, result.findings)
    return check_table(result.table, source, result.findings, layout=result.layout)


def check_bytes(data: bytes, source: str = "<输入>", profile: Profile = DEFAULT) -> Report:
    """Read and validate ``data``, a target table or a self-evaluation (told apart by its content;
    a self-evaluation is judged by ``profile``); an unreadable input gives a report with its one
    fatal finding."""
    return _checked(source, lambda: read_document(data, source, profile), profile)


def check_path(path: str | Path, profile: Profile = DEFAULT) -> Report:
    """Read and validate the file at ``path`` (see :func:`check_bytes`)."""
    return _checked(str(path), lambda: read_document_path(path, profile), profile)
