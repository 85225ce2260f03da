"""How places in a table and review comments are written, in pages and in the audit log alike."""

from __future__ import annotations

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.findings import SECTION_TITLES

#: The library's profile variants (``jixiao.profile.VARIANTS``, also what a pasted profile's
#: ``base`` names) as the bureau reads them when it opens a round.
VARIANT_LABELS = {
    "默认": "默认（财预〔2020〕10号，优 ≥ 90、良 ≥ 80、中 ≥ 60）",
    "101号": "101号（成本 10、产出 40、效益 30、满意度 10）",
    "80/70/60": "等级 80/70/60（优 ≥ 80、良 ≥ 70、中 ≥ 60）",
    "linear": "“≤”指标未达标时按线性扣分（超出一倍得 0 分）",
    "symmetric": "“=”指标超出目标时按偏离程度扣分",
}


def variant_label(name: str) -> str:
    """A profile variant's name as the pages show it (a pasted profile keeps the name it was given)."""
    return VARIANT_LABELS.get(name, name)


def place_of(section: str, row: int | None = None) -> str:
    """A section (and row) as the form names it: ``任务第2行``."""
    name = SECTION_TITLES.get(section) or SELFEVAL_SECTION_TITLES.get(section, section)
    return f"{name}第{row}行" if row else name


def comment_line(section: str, row: int | None, text: str) -> str:
    """A comment as the audit log keeps it: where, then what."""
    return f"{place_of(section, row)}：{text}"
