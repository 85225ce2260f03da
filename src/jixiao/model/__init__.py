"""The table model and the indicator framework."""

from __future__ import annotations

from jixiao.model.framework import Comparator, Framework
from jixiao.model.table import Budget, Department, Indicator, TargetTable, Task, format_amount

__all__ = [
    "Budget",
    "Comparator",
    "Department",
    "Framework",
    "Indicator",
    "TargetTable",
    "Task",
    "format_amount",
]
