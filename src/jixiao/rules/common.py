"""Helpers shared by rules of different sections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from jixiao.model.values import compact


def later_duplicates(names: Iterable[str]) -> Iterator[tuple[int, int]]:
    """(row, first row) for every 1-based row whose name (white space ignored) an earlier row has."""
    first_rows: dict[str, int] = {}
    for row, name in enumerate(names, start=1):
        key = compact(name)
        if key and first_rows.setdefault(key, row) != row:
            yield row, first_rows[key]
