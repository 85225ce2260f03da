"""The rule registry: each rule is a small function that yields findings for a table.

Rules register themselves with :func:`rule`, naming the codes they may emit; a test checks that
every catalogued code is emitted by some rule or reader and documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jixiao.catalogue import CATALOGUE
from jixiao.findings import Finding
from jixiao.model import TargetTable

RuleFunction = Callable[[TargetTable], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    codes: tuple[str, ...]
    function: RuleFunction
    doc: str


RULES: list[Rule] = []


def rule(*codes: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule that may emit ``codes`` (each must be in the catalogue)."""
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise ValueError(f"uncatalogued finding codes: {unknown}")

    def register(function: RuleFunction) -> RuleFunction:
        RULES.append(
            Rule(
                name=f"{function.__module__}.{function.__name__}",
                codes=codes,
                function=function,
                doc=(function.__doc__ or "").strip(),
            )
        )
        return function

    return register


def validate(table: TargetTable) -> list[Finding]:
    """Every registered rule's findings for ``table``, in registration order."""
    return [finding for registered in RULES for finding in registered.function(table)]
