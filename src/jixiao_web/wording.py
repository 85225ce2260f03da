"""How places in a table and review comments are written, in pages and in the audit log alike."""

from __future__ import annotations

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.findings import SECTION_TITLES


def place_of(section: str, row: int | None = None) -> str:
    """A section (and row) as the form names it: ``任务第2行``."""
    name = SECTION_TITLES.get(section) or SELFEVAL_SECTION_TITLES.get(section, section)
    return f"{name}第{row}行" if row else name


def comment_line(section: str, row: int | None, text: str) -> str:
    """A comment as the audit log keeps it: where, then what."""
    return f"{place_of(section, row)}：{text}"
