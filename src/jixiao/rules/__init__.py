"""Validation rules (``shared/spec/RULES.md``), one concern per module.

Importing this package registers every rule: :func:`validate` runs the target table's,
:func:`validate_selfeval` a self-evaluation's (``shared/spec/CYCLE.md``).
"""

from __future__ import annotations

from jixiao.rules import budget, goal, header, indicators, limits, selfeval, tasks  # noqa: F401  (they register rules)
from jixiao.rules.registry import (
    RULES,
    SELFEVAL_RULES,
    TABLE_RULES,
    Registry,
    Rule,
    rule,
    selfeval_rule,
    validate,
    validate_selfeval,
)

__all__ = [
    "RULES",
    "SELFEVAL_RULES",
    "TABLE_RULES",
    "Registry",
    "Rule",
    "rule",
    "selfeval_rule",
    "validate",
    "validate_selfeval",
]
