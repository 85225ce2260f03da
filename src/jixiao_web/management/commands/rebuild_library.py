"""``jixiao manage rebuild_library``: build the indicator library (指标库) again from every approved
and published table; the finance bureau's marks are kept.  Recorded in the audit log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jixiao_web import services
from jixiao_web.audit import Actor


class Command(BaseCommand):
    help = "从全部已审核、已发布的目标表重建指标库（保留财政局的标记）"

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.rebuild_library(Actor(None))
        self.stdout.write(
            f"指标库已重建：{counts['filings']} 张目标表，{counts['uses']} 个指标行，{counts['entries']} 个指标。"
        )
