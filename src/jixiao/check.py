"""Reading and validating together: what ``jixiao check`` and the web app run on a table."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from jixiao.findings import Finding, ReadError, Report, Severity
from jixiao.model import TargetTable
from jixiao.read import read_bytes, read_path
from jixiao.rules import validate


def check_table(table: TargetTable, source: str = "", read_findings: Iterable[Finding] = ()) -> Report:
    """The report for a table: what reading it found, then every rule's findings.

    Where the reader already reported an error at a place (an amount it could not parse, say), a
    rule's finding at the same place says nothing new and is left out.
    """
    report = Report(source, list(read_findings))
    flagged = [f.location for f in report.findings if f.severity is Severity.ERROR and f.location.section]
    report.extend(f for f in validate(table) if not any(f.location.same_place(place) for place in flagged))
    return report


def check_bytes(data: bytes, source: str = "<输入>") -> Report:
    """Read and validate ``data``; an unreadable input gives a report with its one fatal finding."""
    try:
        result = read_bytes(data, source)
    except ReadError as error:
        return Report(source, [error.finding])
    return check_table(result.table, source, result.findings)


def check_path(path: str | Path) -> Report:
    """Read and validate the file at ``path`` (see :func:`check_bytes`)."""
    try:
        result = read_path(path)
    except ReadError as error:
        return Report(str(path), [error.finding])
    return check_table(result.table, str(path), result.findings)
