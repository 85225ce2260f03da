"""Validation rules (``shared/spec/RULES.md``), one concern per module.

Importing this package registers the target table's rules: :func:`validate` runs them.  The rules
of a self-evaluation (:func:`validate_selfeval`) and of a monitoring report
(:func:`validate_monitoring`, ``shared/spec/CYCLE.md``) need the scoring and the warnings, so their
modules are imported, and their rules registered, when first asked for (by those functions, or by
reading ``SELFEVAL_RULES`` or ``MONITORING_RULES`` from this package): checking a folder of target
tables starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jixiao.rules import (  # noqa: F401  (they register rules)
    budget,
    goal,
    header,
    indicators,
    limits,
    tasks,
)
from jixiao.rules import registry as _registry
from jixiao.rules.registry import (
    RULES,
    TABLE_RULES,
    Registry,
    Rule,
    monitoring_rule,
    rule,
    selfeval_rule,
    validate,
)

if TYPE_CHECKING:
    from jixiao.findings import Finding
    from jixiao.monitoring import MonitoredReport
    from jixiao.rules.registry import MONITORING_RULES, SELFEVAL_RULES
    from jixiao.scoring import ScoredEvaluation

__all__ = [
    "MONITORING_RULES",
    "RULES",
    "SELFEVAL_RULES",
    "TABLE_RULES",
    "Registry",
    "Rule",
    "monitoring_rule",
    "rule",
    "selfeval_rule",
    "validate",
    "validate_monitoring",
    "validate_selfeval",
]


def _selfeval_rules() -> Registry[ScoredEvaluation]:
    from jixiao.rules import selfeval  # noqa: F401  (registers its rules)

    return _registry.SELFEVAL_RULES


def _monitoring_rules() -> Registry[MonitoredReport]:
    from jixiao.rules import monitoring  # noqa: F401  (registers its rules)

    return _registry.MONITORING_RULES


def __getattr__(name: str) -> object:
    if name == "SELFEVAL_RULES":
        return _selfeval_rules()
    if name == "MONITORING_RULES":
        return _monitoring_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate_selfeval(scored: ScoredEvaluation) -> list[Finding]:
    """Every self-evaluation rule's findings for a scored self-evaluation, in registration order."""
    return _selfeval_rules().validate(scored)


def validate_monitoring(monitored: MonitoredReport) -> list[Finding]:
    """Every monitoring rule's findings for a report with its warnings, in registration order."""
    return _monitoring_rules().validate(monitored)
