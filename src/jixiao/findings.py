"""Findings and reports: one type for what readers and rules say about a table.

A finding is data: a stable ``code`` from :mod:`jixiao.catalogue`, its severity, a Chinese message
that names the place and the figures, and a machine-readable ``location``.  A :class:`Report` holds
the findings for one source; its JSON form is the one ``shared/spec/README.md`` fixes for
``jixiao check --json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from jixiao.catalogue import CATALOGUE, REASONS

Section = Literal[
    "file", "title", "department", "budget", "overall_goal", "tasks", "indicators",
    # a self-evaluation's own parts (jixiao.catalogue.SELFEVAL_SECTION_TITLES)
    "funds", "conclusion", "total",
    # a monitoring report's own parts (jixiao.catalogue.MONITORING_SECTION_TITLES)
    "period", "summary",
]  # fmt: skip

#: Chinese names of the sections and fields, for messages (the model's field titles, by JSON path).
SECTION_TITLES: dict[str, str] = {
    "file": "文件",
    "title": "表名",
    "department": "部门基本信息",
    "budget": "预算整体情况",
    "overall_goal": "总体绩效目标",
    "tasks": "任务",
    "indicators": "绩效指标",
}


class Severity(StrEnum):
    """How much a finding weighs. ``error`` makes a table invalid; the others never block."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: a section of the table, a 1-based row within it, a field (JSON name).

    ``line`` is the position in the source file (a text line or a grid row) where a reader saw it.
    """

    section: Section | None = None
    row: int | None = None
    field: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in (
                ("section", self.section),
                ("row", self.row),
                ("field", self.field),
                ("line", self.line),
            )
            if value is not None
        }

    def same_place(self, other: Location) -> bool:
        """Same section, row and field, wherever in the source it was seen."""
        return (self.section, self.row, self.field) == (other.section, other.row, other.field)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a reader or a rule found."""

    code: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict(),
        }


def finding(code: str, location: Location | None = None, /, **figures: object) -> Finding:
    """Make a finding of a catalogued ``code``, its message filled in from ``figures``."""
    entry = CATALOGUE[code]
    return Finding(
        code=code,
        severity=Severity(entry.severity),
        message=entry.template.format(**figures),
        location=location or Location(),
    )


@dataclass(slots=True)
class Report:
    """The findings for one source (a file, an upload, a table in the database)."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    #: The layout the table was read in (``jixiao.layouts``), for reports of read sources; None
    #: for a table that was not read from a file (the web form's), and then left out of the JSON.
    layout: str | None = None
    #: What kind of document it is about: None for a target table (its JSON report stays as the
    #: spec fixes it), ``selfeval`` for a self-evaluation.
    kind: str | None = None

    @property
    def valid(self) -> bool:
        """False exactly when some finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def flatten(self, spec: Sequence[str] = ("code", "row", "field")) -> list[tuple[Any, ...]]:
        """Findings as tuples of the named properties, for short test assertions.

        Names are ``code``, ``severity`` and ``message`` or a location key (``section``, ``row``,
        ``field``, ``line``).
        """

        def pick(f: Finding, name: str) -> Any:
            if name in {"code", "message"}:
                return getattr(f, name)
            if name == "severity":
                return f.severity.value
            return getattr(f.location, name)

        return [tuple(pick(f, name) for name in spec) for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {"source": self.source, "valid": self.valid}
        if self.kind is not None:
            report["kind"] = self.kind
        if self.layout is not None:
            report["layout"] = self.layout
        report["issues"] = [f.to_dict() for f in self.findings]
        return report

    def to_json(self) -> str:
        """One line of JSON, as ``jixiao check --json`` prints it."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def unreadable(source: str, reason: str, /, code: str = "file-unreadable", **figures: object) -> ReadError:
    """The error for a file that cannot be read, for one of the catalogued ``REASONS``."""
    return ReadError(code, Location("file"), source=source, reason=REASONS[reason].format(**figures))


class ReadError(Exception):
    """A source that cannot be read as a table at all (``parse``/``check`` exit 2).

    ``finding`` says why, in Chinese, with a code such as ``not-a-target-table``.
    """

    def __init__(self, code: str, location: Location | None = None, /, **figures: object) -> None:
        self.finding = finding(code, location, **figures)
        super().__init__(self.finding.message)
