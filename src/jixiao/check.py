"""Reading and validating together: what ``jixiao check`` and the web app run on a table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from jixiao.catalogue import MONITORING_SECTION_TITLES, SELFEVAL_SECTION_TITLES
from jixiao.findings import SECTION_TITLES, Finding, Location, ReadError, Report, Severity, finding
from jixiao.layouts import UNKNOWN, fit_layout
from jixiao.model import TargetTable
from jixiao.model.values import compact
from jixiao.profile import DEFAULT, Profile
from jixiao.read import ReadResult
from jixiao.read.document import read_document, read_document_path
from jixiao.rules import validate

if TYPE_CHECKING:
    from jixiao.model.monitoring import MonitoringReport
    from jixiao.model.selfeval import SelfEvaluation
    from jixiao.read.document import DocumentResult

#: Codes :func:`check_table` emits itself, from what it is told besides the table.
CHECK_CODES: Final = frozenset({"department-name-mismatch", "part-absent"})


def check_table(
    table: TargetTable,
    source: str = "",
    read_findings: Iterable[Finding] = (),
    *,
    department: str | None = None,
    layout: str | None = None,
    unprinted: frozenset[str] = frozenset(),
) -> Report:
    """The report for a table: what reading it found and every rule's findings, in table order.

    Where the reader already reported an error at a place (an amount it could not parse, say), a
    rule's finding at the same place says nothing new and is left out.  ``department``: the
    department the table is filed for (the web system's); a 部门名称 naming another is a warning.
    ``layout``: the layout it was read in, and ``unprinted`` the parts whose labels the source never
    shows; the rules then judge what that layout asks for (:func:`jixiao.layouts.fit_layout`).
    Without them every rule applies.
    """
    findings = list(read_findings)
    flagged = [f.location for f in findings if f.severity is Severity.ERROR and f.location.section]
    judged = [f for f in validate(table) if not any(f.location.same_place(place) for place in flagged)]
    findings.extend(judged if layout is None else fit_layout(judged, table, layout, unprinted))
    named = table.department.name
    if department is not None and named.strip() and compact(named) != compact(department):
        where = Location("department", field="name")
        findings.append(finding("department-name-mismatch", where, name=named, department=department))
    findings.sort(key=_in_table_order)
    return Report(source, findings, layout)


def _form_order(sections: Iterable[str]) -> Callable[[Finding], tuple[int, int]]:
    """The sort key of a printed form's order: findings without a place first (rows that could not
    be read), then section by section as ``sections`` lists them, row by row."""
    order = {section: number for number, section in enumerate((None, *sections))}

    def key(finding: Finding) -> tuple[int, int]:
        return order.get(finding.location.section, 0), finding.location.row or 0

    return key


_in_table_order: Final = _form_order(SECTION_TITLES)


#: The ``kind`` of a self-evaluation's report (a target table's report has none, as the spec has it).
SELFEVAL_KIND: Final = "selfeval"
#: The ``kind`` of a monitoring report's report.
MONITORING_KIND: Final = "monitoring"


def check_selfeval(
    evaluation: SelfEvaluation,
    profile: Profile = DEFAULT,
    source: str = "",
    read_findings: Iterable[Finding] = (),
) -> Report:
    """The report for a self-evaluation judged by ``profile``: what reading it found and every
    self-evaluation rule's findings (never the target table's), in the order of the printed form."""
    from jixiao.rules import validate_selfeval
    from jixiao.scoring import ScoredEvaluation

    findings = [*read_findings, *validate_selfeval(ScoredEvaluation.of(evaluation, profile))]
    findings.sort(key=_in_selfeval_order)
    return Report(source, findings, kind=SELFEVAL_KIND)


_in_selfeval_order: Final = _form_order(SELFEVAL_SECTION_TITLES)


def check_monitoring(
    report: MonitoringReport,
    profile: Profile = DEFAULT,
    source: str = "",
    read_findings: Iterable[Finding] = (),
    *,
    approved: TargetTable | None = None,
) -> Report:
    """The report for a monitoring report judged by ``profile``: what reading it found and every
    monitoring rule's findings (never the target table's), in the order of the printed form.
    ``approved``: the approved version it should copy, where known; its rows are then compared with
    the report's (``monitor-indicators-changed``)."""
    from jixiao.monitoring import MonitoredReport
    from jixiao.rules import validate_monitoring

    monitored = MonitoredReport.of(report, profile, approved)
    findings = [*read_findings, *validate_monitoring(monitored)]
    findings.sort(key=_in_monitoring_order)
    return Report(source, findings, kind=MONITORING_KIND)


_in_monitoring_order: Final = _form_order(MONITORING_SECTION_TITLES)


def _checked(source: str, read: Callable[[], DocumentResult], profile: Profile) -> Report:
    try:
        result = read()
    except ReadError as error:  # unreadable: a report with its one fatal finding
        return Report(source, [error.finding], UNKNOWN)
    if isinstance(result, ReadResult):
        return check_table(
            result.table, source, result.findings, layout=result.layout, unprinted=result.unprinted
        )
    from jixiao.read.selfeval import SelfevalReadResult

    if isinstance(result, SelfevalReadResult):
        return check_selfeval(result.evaluation, profile, source, result.findings)
    return check_monitoring(result.report, profile, source, result.findings)


def check_bytes(data: bytes, source: str = "<输入>", profile: Profile = DEFAULT) -> Report:
    """Read and validate ``data``, a target table, a self-evaluation or a monitoring report (told
    apart by its content; the latter two are judged by ``profile``); an unreadable input gives a report with its one
    fatal finding."""
    return _checked(source, lambda: read_document(data, source, profile), profile)


def check_path(path: str | Path, profile: Profile = DEFAULT) -> Report:
    """Read and validate the file at ``path`` (see :func:`check_bytes`)."""
    return _checked(str(path), lambda: read_document_path(path, profile), profile)
