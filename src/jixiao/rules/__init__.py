"""Validation rules (``shared/spec/RULES.md``), one concern per module.

Importing this package registers every rule; :func:`validate` runs them all.
"""

from __future__ import annotations

from jixiao.rules import budget, goal, header, indicators, limits, tasks  # noqa: F401  (they register rules)
from jixiao.rules.registry import RULES, Rule, rule, validate

__all__ = ["RULES", "Rule", "rule", "validate"]
