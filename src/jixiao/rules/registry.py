"""The rule registries: each rule is a small function that yields findings for one kind of document.

A registry holds the rules of one document kind: :data:`TABLE_RULES` judge a target table,
:data:`SELFEVAL_RULES` a scored self-evaluation, :data:`MONITORING_RULES` a monitoring report with
its warnings.  Rules register themselves with their registry's
``rule`` decorator, naming the codes they may emit (each must be catalogued), so a self-evaluation's
rules never run on a target table or the other way round.  A test checks that every catalogued code
is emitted by some rule or reader and documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from jixiao.catalogue import CATALOGUE
from jixiao.findings import Finding
from jixiao.model import TargetTable

if TYPE_CHECKING:
    from jixiao.monitoring import MonitoredReport
    from jixiao.scoring import ScoredEvaluation

DocumentKind = Literal["table", "selfeval", "monitoring"]
Subject = TypeVar("Subject")


@dataclass(frozen=True, slots=True)
class Rule(Generic[Subject]):
    name: str
    codes: tuple[str, ...]
    function: Callable[[Subject], Iterable[Finding]]
    doc: str
    kind: DocumentKind = "table"


@dataclass(slots=True)
class Registry(Generic[Subject]):
    """The rules of one document kind, in registration order."""

    kind: DocumentKind
    rules: list[Rule[Subject]] = field(default_factory=list)

    def rule(
        self, *codes: str
    ) -> Callable[[Callable[[Subject], Iterable[Finding]]], Callable[[Subject], Iterable[Finding]]]:
        """Register a rule that may emit ``codes`` (each must be in the catalogue)."""
        unknown = [code for code in codes if code not in CATALOGUE]
        if unknown:
            raise ValueError(f"uncatalogued finding codes: {unknown}")

        def register(
            function: Callable[[Subject], Iterable[Finding]],
        ) -> Callable[[Subject], Iterable[Finding]]:
            self.rules.append(
                Rule(
                    name=f"{function.__module__}.{function.__name__}",
                    codes=codes,
                    function=function,
                    doc=(function.__doc__ or "").strip(),
                    kind=self.kind,
                )
            )
            return function

        return register

    def validate(self, subject: Subject) -> list[Finding]:
        """Every registered rule's findings for ``subject``, in registration order."""
        return [finding for registered in self.rules for finding in registered.function(subject)]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for registered in self.rules for code in registered.codes)


TABLE_RULES: Registry[TargetTable] = Registry("table")
SELFEVAL_RULES: Registry[ScoredEvaluation] = Registry("selfeval")
MONITORING_RULES: Registry[MonitoredReport] = Registry("monitoring")

#: The target table's rules (the names every table rule module and test uses).
RULES = TABLE_RULES.rules
rule = TABLE_RULES.rule
selfeval_rule = SELFEVAL_RULES.rule
monitoring_rule = MONITORING_RULES.rule


def validate(table: TargetTable) -> list[Finding]:
    """Every target-table rule's findings for ``table``, in registration order."""
    return TABLE_RULES.validate(table)
