"""Each layout of LAYOUTS.md in every format: read back with nothing invented and nothing dropped.

The layouts (``layout_tables.py``) are published tables with merged cells; the tests build each as
HTML, XLSX, DOCX and, through LibreOffice, PDF (narrow columns, so cells wrap; the 揭阳 table runs
over several pages) and show that every format reads to the table its text reads to, with the same
findings apart from line numbers.  Then every non-empty cell the reader saw is accounted for: in
the table, quoted in a finding, or a label of the form.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jixiao.model import TargetTable
from jixiao.model.framework import FRAMEWORKS, normalise_comparator, split_leading_comparator
from jixiao.model.values import to_halfwidth
from jixiao.read import GRID_READERS, ReadResult, read_bytes, read_path, sniff_format
from jixiao.read.cells import Unreadable, label_key, parse_amount
from jixiao.read.grid import GridRow
from jixiao.read.labels import (
    FIELD_LABELS,
    GOAL_LABELS,
    INDICATOR_COLUMNS,
    INDICATOR_HEADINGS,
    NOTE_PREFIXES,
    SECTION_LABELS,
    SHARE_LABELS,
    TASK_COLUMNS,
    TASK_SECTION_LABELS,
    TEXT_LABELS,
    TOTAL_LABELS,
    UNIT_NOTES,
    VALUE_TAGS,
)
from layout_tables import LAYOUT_FIXTURES, layouts, text_of, to_docx, to_html, to_xlsx
from office_tools import soffice_to_pdf
from strategies import PDF_ALPHABET, amounts, tables

LAYOUTS = layouts()
NAMES = list(LAYOUTS)
BUILT = ("html", "xlsx", "docx")
#: PDFs LibreOffice makes: Writer from the DOCX, Calc from the XLSX.
PDFS = ("pdf-docx", "pdf-xlsx")


def _canonical(result: ReadResult) -> tuple[Any, list[tuple[Any, ...]]]:
    """The table's canonical JSON and the findings, each without the line it was seen on."""
    findings = sorted(
        (
            f.code,
            f.severity.value,
            f.location.section,
            f.location.row,
            f.location.field,
            re.sub(r"第\d+行", "第N行", f.message),
        )
        for f in result.findings
    )
    return json.loads(result.table.to_json()), findings


def _text_result(name: str) -> ReadResult:
    layout = LAYOUTS[name]
    return read_bytes(text_of(layout).encode(), f"{name}.txt")


def test_each_layout_description_is_its_text_fixture() -> None:
    """The merges are added to the fixtures' text, nothing else: taken out again, it is the fixture."""
    for name in ("zhanjiang", "chongqing", "hunan", "hubei"):
        fixture = (LAYOUT_FIXTURES / f"{name}.txt").read_text(encoding="utf-8")

        def lines(text: str) -> list[str]:
            return [line.rstrip("\t") for line in text.split("\n") if line.strip()]

        assert lines(text_of(LAYOUTS[name])) == lines(fixture), name
        assert _canonical(read_path(LAYOUT_FIXTURES / f"{name}.txt")) == _canonical(_text_result(name))


def test_the_layouts_have_merged_cells() -> None:
    for name, layout in LAYOUTS.items():
        spans = [(c.rowspan, c.colspan) for table in layout.tables for c in table.cells]
        assert any(span != (1, 1) for span in spans), name
        if name != "chongqing":  # one list of indicators: no 一级 or 二级 label to merge down
            assert any(r > 1 for r, _ in spans), name


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every layout in every format, the PDFs made by LibreOffice in one run (about 5 s for all)."""
    folder = tmp_path_factory.mktemp("layouts")
    made: dict[tuple[str, str], Path] = {}
    for name, layout in LAYOUTS.items():
        for kind, data in (("html", to_html(layout)), ("xlsx", to_xlsx(layout)), ("docx", to_docx(layout))):
            path = folder / f"{name}.{kind}"
            path.write_bytes(data)
            made[(name, kind)] = path
    sources = []
    for name in LAYOUTS:  # distinct stems: both give NAME.pdf otherwise
        for kind in ("docx", "xlsx"):
            source = folder / f"{name}-{kind}.{kind}"
            shutil.copy(made[(name, kind)], source)
            sources.append(source)
    pdfs = soffice_to_pdf(sources, folder)
    for source, pdf in zip(sources, pdfs, strict=True):
        name, kind = source.stem.rsplit("-", 1)
        made[(name, f"pdf-{kind}")] = pdf
    return made


@pytest.mark.parametrize(
    ("name", "kind"),
    [(n, k) for n in NAMES for k in (*BUILT, *PDFS)],
    ids=[f"{n}-{k}" for n in NAMES for k in (*BUILT, *PDFS)],
)
def test_every_format_reads_as_the_text(built: dict[tuple[str, str], Path], name: str, kind: str) -> None:
    expected = _canonical(_text_result(name))
    got = _canonical(read_path(built[(name, kind)]))
    assert got[0] == expected[0]
    assert got[1] == expected[1]


def test_a_long_table_crosses_pages_and_a_narrow_cell_wraps(built: dict[tuple[str, str], Path]) -> None:
    """The PDFs test what they claim: the 揭阳 table runs over pages and its cells wrap."""
    import pdfplumber

    for kind in PDFS:
        with pdfplumber.open(built[("jieyang", kind)]) as pdf:
            texts = [page.extract_text() or "" for page in pdf.pages]
        assert len(texts) >= 2
        first_task_page = next(i for i, text in enumerate(texts) if "143" in text)
        last_task_page = next(i for i, text in enumerate(texts) if "0.86075" in text)
        assert last_task_page > first_task_page, kind  # the task part goes on over a page break
        # a name of 30 characters does not fit a narrow column on one line
        assert "揭阳市重点化工项目（企业）安全审查、安全检查专家技术服务" not in "".join(texts), kind


# ---------------------------------------------------------------------------------------------
# Every cell placed or reported


#: Labels of the form: cells that name a field or a part, not values.
_FORM_LABELS = (
    set(FIELD_LABELS)
    | set(GOAL_LABELS)
    | set(TEXT_LABELS)
    | set(INDICATOR_COLUMNS)
    | SECTION_LABELS
    | set(TASK_COLUMNS)
    | set(TASK_SECTION_LABELS)
    | TOTAL_LABELS
    | VALUE_TAGS
    | SHARE_LABELS
    | INDICATOR_HEADINGS
    | UNIT_NOTES
    # the framework's 一级 and 二级 names: the printed form shows every 二级 row, filled or not
    | {
        name
        for level2s in FRAMEWORKS.values()
        for level1, names in level2s.items()
        for name in (level1, *names)
    }
    | {"社会公众或服务对象满意度指标"}
)


def _number(text: str) -> Decimal | None:
    """An amount as the reader takes it (``3,215.60``, ``143 万元``, full-width digits), or a share."""
    amount = parse_amount(text.strip().removesuffix("%"))
    return amount if isinstance(amount, Decimal) and not isinstance(amount, Unreadable) else None


def _values(node: Any) -> Iterator[str]:
    """Every value of the table's JSON as text."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)
    elif node is not None:
        yield str(node)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def unaccounted(grid: list[GridRow], result: ReadResult) -> list[tuple[int, str]]:
    """The non-empty cells of ``grid`` that are neither in the table, nor quoted in a finding, nor a
    label, heading, title or note of the form.

    A cell is in the table when some field's value contains it (amounts compared as numbers:
    ``3,215.60`` is ``3215.60``; a share such as ``92.09%`` after 占比 is checked against the
    amounts, so it counts as placed when the budget was read: ``budget-total-mismatch`` says when
    it disagrees).
    """
    table = json.loads(result.table.to_json())
    values = [_compact(value) for value in _values(table)]
    numbers = {n for n in map(_number, values) if n is not None}
    # printed totals (合计) are checked against the amounts (budget-total-mismatch,
    # task-total-mismatch say when they disagree), so they count as read
    budget = {k: Decimal(v) for k, v in table["budget"].items() if v is not None}
    numbers |= {
        budget.get("fiscal_appropriation", Decimal(0)) + budget.get("other_funds", Decimal(0)),
        budget.get("basic_expenditure", Decimal(0)) + budget.get("project_expenditure", Decimal(0)),
        result.table.task_total,
    }
    quoted = _compact(" ".join(f.message for f in result.findings))
    missing = []
    for row in grid:
        # a share (占比 | 92.09%) is derived from the row's amount and checked against it
        shares = any(label_key(cell) in SHARE_LABELS for cell in row.cells) and bool(budget)
        for cell in row.cells:
            text = _compact(cell)
            if not text:
                continue
            key = label_key(cell)
            if key in _FORM_LABELS or text == _compact(table["title"]):
                continue
            if to_halfwidth(text).startswith(NOTE_PREFIXES) or text.startswith("填报要求"):
                continue
            if any(text in value for value in values) or text in quoted:
                continue
            number = _number(text)
            if number is not None and (number in numbers or (text.endswith("%") and shares)):
                continue
            comparator = normalise_comparator(cell)
            if comparator is not None and comparator in {i["comparator"] for i in table["indicators"]}:
                continue  # a spelling such as <= is read as ≤
            # a value such as ≥3000公里 is split into comparator, value and unit
            written, rest = split_leading_comparator(to_halfwidth(cell))
            parts = re.fullmatch(r"([\d.]+)(.*)", _compact(rest))
            if parts and any(
                (i["comparator"], i["value"]) == (written or i["comparator"], parts.group(1))
                and parts.group(2) in {"", i["unit"]}
                for i in table["indicators"]
            ):
                continue
            missing.append((row.line, cell))
    return missing


def _grid_and_result(data: bytes, source: str) -> tuple[list[GridRow], ReadResult]:
    grid = GRID_READERS[sniff_format(data, source)](data, source)
    return grid, read_bytes(data, source)


def _all_sources(built: dict[tuple[str, str], Path]) -> Iterator[tuple[str, bytes]]:
    """Every fixture (the seed, its text variants and office files, the layouts' texts), each
    layout's text as described and each file made from it."""
    fixtures = Path(__file__).parent / "fixtures"
    for path in [fixtures / "seed.txt", *sorted((fixtures / "text").iterdir())]:
        yield path.name, path.read_bytes()
    for path in [*sorted((fixtures / "office").iterdir()), *sorted(LAYOUT_FIXTURES.iterdir())]:
        yield path.name, path.read_bytes()
    for name in NAMES:
        yield f"{name}.txt", text_of(LAYOUTS[name]).encode()
        for kind in (*BUILT, *PDFS):
            yield built[(name, kind)].name, built[(name, kind)].read_bytes()


def test_every_cell_is_placed_or_reported(built: dict[tuple[str, str], Path]) -> None:
    checked = 0
    for source, data in _all_sources(built):
        grid, result = _grid_and_result(data, source)
        assert unaccounted(grid, result) == [], (source, unaccounted(grid, result))
        checked += sum(1 for row in grid for cell in row.cells if cell.strip())
    assert checked > 1000


def test_a_stray_cell_is_caught_by_the_count() -> None:
    """The count fails on a drop: a cell the reader neither placed nor reported is found."""
    text = text_of(LAYOUTS["chongqing"])
    grid = GRID_READERS["text"](text.encode(), "c.txt")
    result = read_bytes(text.encode(), "c.txt")
    assert unaccounted(grid, result) == []
    # the same grid with a stray cell, judged against the table read without it: a silent drop
    stray = [GridRow([*row.cells, "区财政局审定"] if row.line == 2 else row.cells, row.line) for row in grid]
    assert unaccounted(stray, result) == [(2, "区财政局审定")]
    # and the real reader does report it, so that the count holds for the real reading
    reported = read_bytes(text.replace("86,420.35", "86,420.35\t区财政局审定").encode(), "c.txt")
    stray_grid = GRID_READERS["text"](text.replace("86,420.35", "86,420.35\t区财政局审定").encode(), "c.txt")
    assert unaccounted(stray_grid, reported) == []
    assert "cells-unplaced" in {f.code for f in reported.findings}


# ---------------------------------------------------------------------------------------------
# Our writers keep every part a layout has


@pytest.mark.parametrize("suffix", [".txt", ".json", ".html", ".xlsx", ".docx", ".pdf"])
@pytest.mark.parametrize("name", NAMES)
def test_our_writers_round_trip_every_layout(name: str, suffix: str) -> None:
    """期望达到的目标, 部门职能概述, 长期绩效目标, 支出预算总量, 指标权重, 指标值类型, 评(扣)分标准 and
    an absent comparator are printed and read back: the same canonical JSON."""
    from jixiao.write import write_bytes

    table = _text_result(name).table
    back = read_bytes(write_bytes(table, suffix), f"{name}{suffix}")
    assert json.loads(back.table.to_json()) == json.loads(table.to_json())
    assert {f.code for f in back.findings} <= {"comparator-absent"}


def test_the_optional_parts_are_printed_only_when_present() -> None:
    from jixiao.write.layout import INDICATOR_HEADINGS, indicator_columns, layout

    seed = read_path(Path(__file__).parent / "fixtures" / "seed.txt").table
    assert [h for h, _ in indicator_columns(seed)] == list(INDICATOR_HEADINGS)
    labels = {
        cell.text for block in layout(seed) for row in block.rows for cell in row if cell.role == "label"
    }
    assert labels.isdisjoint({"部门职能概述", "长期绩效目标", "支出预算总量"})
    hunan = _text_result("hunan").table
    assert [h for h, _ in indicator_columns(hunan)][-2:] == ["指标值类型", "评(扣)分标准"]
    assert sum(width for _, width in indicator_columns(hunan)) == 100


def test_a_heading_cell_in_two_lines_is_one_label_in_a_pdf(tmp_path: Path) -> None:
    """拟投入金额 / (万元), 三级指标 / 解释 (and the 湛江, 湖南 spellings) printed as two lines of one
    heading cell (LibreOffice PDF from a DOCX with narrow columns): amounts and explanations are read."""
    from layout_tables import layout_of

    splits = {
        "zhanjiang": {"拟投入的资金（万元）": "拟投入的资金<br>（万元）"},
        "hunan": {"指標解釋": "指標<br>解釋"},
        "jieyang": {"拟投入金额(万元)": "拟投入金额<br>(万元)", "三级指标解释": "三级指标<br>解释"},
    }
    for name, replacements in splits.items():
        text = text_of(LAYOUTS[name])
        for whole, parts in replacements.items():
            assert whole in text
            text = text.replace(whole, parts)
        (tmp_path / f"{name}.docx").write_bytes(to_docx(layout_of(name, text)))
    soffice_to_pdf([tmp_path / f"{name}.docx" for name in splits], tmp_path)
    for name in splits:
        result = read_path(tmp_path / f"{name}.pdf")
        assert _canonical(result) == _canonical(_text_result(name)), name
    assert all(task.amount is not None for task in read_path(tmp_path / "zhanjiang.pdf").table.tasks)


# ---------------------------------------------------------------------------------------------
# How a PDF cell's lines are joined (the rule, on lines as pdfplumber gives them)


def _line(text: str, top: float, x0: float = 100.0, size: float = 10.0) -> dict[str, Any]:
    """A line of monospaced glyphs as pdfplumber reports it: 汉字 one font size wide, others half."""
    chars, x = [], x0
    for char in text:
        width = size if ord(char) >= 0x2E80 else size / 2
        chars.append({"text": char, "x0": x, "x1": x + width, "size": size})
        x += width
    return {"text": text, "top": top, "bottom": top + size * 1.2, "x0": x0, "x1": x, "chars": chars}


@pytest.mark.parametrize(
    ("first", "second", "joined"),
    [
        ("提升应急救援能力完成。", "2、组织森林消防演练", "提升应急救援能力完成。\n2、组织森林消防演练"),
        ("提升应急救援能力完成：", "（1）组织森林消防演练", "提升应急救援能力完成：\n（1）组织森林消防演练"),
        ("提升应急救援能力完成。", "一、组织森林消防演练", "提升应急救援能力完成。\n一、组织森林消防演练"),
        ("提升应急救援能力完成。", "①组织森林消防演练", "提升应急救援能力完成。\n①组织森林消防演练"),
        # a wrap inside one paragraph of points (…；2、…), or no number at all: joined as before
        ("提升应急救援能力完成；", "2、组织森林消防演练", "提升应急救援能力完成；2、组织森林消防演练"),
        ("提升应急救援能力不断完", "善组织森林消防演练", "提升应急救援能力不断完善组织森林消防演练"),
        ("提升应急救援能力达到", "3.5万元的标准", "提升应急救援能力达到3.5万元的标准"),
    ],
)
def test_a_numbered_point_after_a_sentence_starts_a_line(first: str, second: str, joined: str) -> None:
    from jixiao.read.pdf import join_lines

    lines = [_line(first, 100.0), _line(second, 112.0)]
    right_edge = float(lines[0]["x1"]) + 2  # the first line fills the cell: a wrap by its look
    assert join_lines(lines, right_edge, pitch=0.0, spaced=False) == joined


def test_a_line_whose_next_word_did_not_fit_was_wrapped() -> None:
    from jixiao.read.pdf import join_lines

    lines = [_line("购买", 100.0), _line("2020年度安全生产服务", 112.0)]
    # "购买" ends 22 points short of the edge: "2020年" (30 points) did not fit, so it wrapped
    assert (
        join_lines(lines, float(lines[0]["x1"]) + 22, pitch=0.0, spaced=False) == "购买2020年度安全生产服务"
    )
    # with room for it, the line ended there on purpose
    assert (
        join_lines(lines, float(lines[0]["x1"]) + 60, pitch=0.0, spaced=False) == "购买\n2020年度安全生产服务"
    )


@st.composite
def other_layouts_tables(draw: st.DrawFn, alphabet: str | None = None) -> TargetTable:
    """Generated tables (``strategies.tables``) given the parts other layouts print: 支出预算总量,
    部门职能概述, 长期绩效目标, and per table 指标权重, 指标值类型 or 评(扣)分标准 columns, no 对比符号
    column (comparators absent, or written in the value), no 一级/二级 columns.  Only what a printed
    form can show: a column a table has is there for every row, a 定性 指标值类型 is a comparator."""
    table = draw(tables() if alphabet is None else tables(alphabet=alphabet))
    text = st.text(
        alphabet=alphabet or "完成农田建设服务体系提升年度市县区0123456789，。、", min_size=1, max_size=30
    )
    text = text.map(str.strip).filter(lambda t: bool(t) and label_key(t) not in _FORM_LABELS)
    with_weight, with_value_type, with_scoring, without_comparators, without_levels = (
        draw(st.booleans()) for _ in range(5)
    )
    indicators = []
    for indicator in table.indicators:
        numeric = indicator.comparator != "定性"
        changes: dict[str, Any] = {}
        if with_weight:
            changes["weight"] = draw(st.none() | st.decimals(min_value=0, max_value=100, places=1))
        if with_value_type:
            changes["value_type"] = "定量" if numeric else "定性"
        if with_scoring:
            changes["scoring_standard"] = draw(st.just("") | text)
        if without_comparators and (draw(st.booleans()) if numeric else not with_value_type):
            changes["comparator"] = None
            if not numeric or split_leading_comparator(indicator.value)[0] is not None:
                # words, as a qualitative target has them: not 0专 (a number and its unit) nor <a
                # (a comparator written in the value), which the reader takes apart
                changes["value"] = draw(st.sampled_from(["显著提升", "达标", "有效改善"]))
        if without_levels:
            changes |= {"level1": "", "level2": ""}
            if label_key(indicator.name) in _FORM_LABELS:  # first in the row, 部门名称 starts a table
                changes["name"] = "指标" + indicator.name
        indicators.append(indicator.model_copy(update=changes))
    budget = table.budget.model_copy(update={"total_expenditure": draw(amounts)})
    return TargetTable.model_validate(
        table.model_dump()
        | {
            "budget": budget.model_dump(),
            "duties": draw(st.none() | text),
            "long_term_goal": draw(st.none() | text),
            "indicators": [indicator.model_dump() for indicator in indicators],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(other_layouts_tables(), st.sampled_from([".txt", ".html", ".xlsx", ".docx"]))
def test_generated_tables_with_other_layouts_parts_round_trip(table: TargetTable, suffix: str) -> None:
    from jixiao.write import write_bytes

    back = read_bytes(write_bytes(table, suffix), f"t{suffix}").table
    assert json.loads(back.to_json()) == json.loads(table.to_json())


# A PDF takes 0.3 s each way: a few examples, no shrinking (as in test_office).
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(other_layouts_tables(alphabet=PDF_ALPHABET))
def test_generated_tables_with_other_layouts_parts_round_trip_through_pdf(table: TargetTable) -> None:
    from jixiao.write import write_bytes

    back = read_bytes(write_bytes(table, ".pdf"), "t.pdf").table
    assert json.loads(back.to_json()) == json.loads(table.to_json())
