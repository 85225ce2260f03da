"""Row numbers people can see: the printed order of indicators, and the 行 column of the web rendering."""

from __future__ import annotations

import re
from pathlib import Path

from jixiao.read import read_path
from jixiao.write.html import html_body, write_html
from jixiao.write.layout import indicator_table, printed_order

SEED = Path(__file__).parent / "fixtures" / "seed.txt"


def test_printed_order_groups_by_the_framework_and_keeps_typed_order_within_a_group() -> None:
    table = read_path(SEED).table
    assert printed_order(table) == [0, 1, 2, 3, 4]
    table.indicators.reverse()  # 可持续影响, 社会效益, 时效, 质量, 数量
    assert printed_order(table) == [4, 3, 2, 1, 0]
    # Two in one group keep the order they were typed in.
    table.indicators.append(table.indicators[4].model_copy(update={"name": "第二个数量指标"}))
    assert printed_order(table) == [4, 5, 3, 2, 1, 0]


def test_indicator_rows_carry_their_rows_in_the_table() -> None:
    table = read_path(SEED).table
    table.indicators.reverse()
    numbers = indicator_table(table).row_numbers
    # The heading, then the framework's 二级 rows: empty ones have no number.
    assert [n for n in numbers if n is not None] == [5, 4, 3, 2, 1]
    assert numbers[0] is None
    assert None in numbers[1:]


def test_the_web_rendering_numbers_indicator_rows_and_the_official_page_does_not() -> None:
    table = read_path(SEED).table
    table.indicators.reverse()
    numbered = html_body(table, numbered=True)
    cells = re.findall(r'<tr data-row="(\d+)"><td class="row-no">(\d+)</td>', numbered)
    assert cells == [("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "1")]
    assert '<th scope="col">行</th>' in numbered
    assert 'class="row-no"' not in html_body(table)
    assert 'class="row-no"' not in write_html(table)
