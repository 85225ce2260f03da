"""Validation rules (``shared/spec/RULES.md``), one concern per module.

Importing this package registers every rule: :func:`validate` runs the target table's,
:func:`validate_selfeval` a self-evaluation's and :func:`validate_monitoring` a monitoring report's
(``shared/spec/CYCLE.md``).
"""

from __future__ import annotations

from jixiao.rules import (  # noqa: F401  (they register rules)
    budget,
    goal,
    header,
    indicators,
    limits,
    monitoring,
    selfeval,
    tasks,
)
from jixiao.rules.registry import (
    MONITORING_RULES,
    RULES,
    SELFEVAL_RULES,
    TABLE_RULES,
    Registry,
    Rule,
    monitoring_rule,
    rule,
    selfeval_rule,
    validate,
    validate_monitoring,
    validate_selfeval,
)

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
