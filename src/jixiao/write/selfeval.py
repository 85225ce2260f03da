"""Writers of the self-evaluation: the 自评表 in the official layout (XLSX, HTML, PDF, DOCX, text)
and as open data (JSON), all drawn from :func:`jixiao.write.selfeval_layout.selfeval_layout`.

The XLSX holds computed values (never formulas) and the findings on a second sheet.
:func:`blank_workbook` is the workbook a department fills (``jixiao selfeval new``): the copied
parts locked, the cells to fill unlocked and marked, a list of the 定性 tiers, instructions on a
sheet of their own.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.findings import Report
from jixiao.model.selfeval import Funds, FundsRow, IndicatorResult, SelfEvaluation, TaskResult, Tier
from jixiao.profile import DEFAULT, Profile
from jixiao.scoring import score
from jixiao.write import UnsupportedOutput, xlsx
from jixiao.write.layout import Block, placed_cells
from jixiao.write.selfeval_layout import (
    COLUMNS,
    SCORING_HEADING,
    FillCell,
    selfeval_layout,
    title_of,
)

#: Captions of the self-evaluation's own tables on a web page (for screen readers).
_CAPTIONS: Final = ("绩效自评表", "得分计算说明")


def _blocks(evaluation: SelfEvaluation, profile: Profile, shown: bool = True) -> list[Block]:
    return selfeval_layout(evaluation, score(evaluation, profile), shown=shown)


def selfeval_html(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> str:
    """The self-evaluation as a standalone, printable HTML page."""
    from jixiao.write.html import block_html, page

    parts: list[str] = []
    own = iter(_CAPTIONS)
    for block in _blocks(evaluation, profile):
        caption = next(own, "") if block.kind == "table" and block.name == "" else ""
        if block.kind == "table" and block.name == "" and caption == _CAPTIONS[0]:
            parts.append('<p class="unit">金额单位：万元</p>')
        part = block_html(block, caption=caption)
        if part:
            parts.append(part)
    return page(title_of(evaluation), "\n".join(parts))


def selfeval_text(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> str:
    """The self-evaluation in the text form (tab-separated rows)."""
    from jixiao.write.text import blocks_text

    return blocks_text(_blocks(evaluation, profile))


def selfeval_docx(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> bytes:
    """The self-evaluation as a Word document."""
    from jixiao.write.docx import blocks_docx

    return blocks_docx(_blocks(evaluation, profile))


def selfeval_pdf(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> bytes:
    """The self-evaluation as a PDF (A4, fonts embedded), rendered from its HTML page."""
    from jixiao.write.pdf import _weasyprint

    weasyprint, fonts = _weasyprint()
    pdf: bytes = weasyprint.HTML(string=selfeval_html(evaluation, profile)).write_pdf(font_config=fonts)
    return pdf


# ---------------------------------------------------------------------------------------------
# XLSX

FORM_SHEET: Final = "自评表"
INSTRUCTIONS_SHEET: Final = "填写说明"
#: Widths of the 自评表's nine columns, in characters (a 汉字 counts two).
XLSX_WIDTHS: Final = (11.0, 12.0, 13.0, 22.0, 13.0, 13.0, 9.0, 10.0, 26.0)
#: The colour that marks a cell to fill.
FILL_COLOUR: Final = "FFF2CC"
INSTRUCTIONS: Final = (
    "填写说明",
    "1. 本工作簿由批复的部门整体预算绩效目标表生成。从目标表复制的内容（部门、年初预算数、预期目标、任务、"
    "指标及年度指标值）已锁定，不能修改；浅黄色单元格由部门填写。",
    "2. 年度资金：填写全年预算数（调整后）和全年执行数（万元，只填数字）。全年预算数与年初预算数不同，或执行率"
    "低于设定（默认 90%）时，须在“预算调整及执行偏差说明”中写明原因。",
    "3. 绩效指标：“实际完成值”只填实际的数字（如 9、97、7*24），不写对比符号和计量单位；日期目标填完成日期"
    "（如 2023年12月20日）。定性指标在“得分计算说明”的“完成等级”中选择 达成、部分达成 或 未达成，可在其分数段"
    "内填写“自评得分”。“分值”已按设定平均分配，可在指标间调整，合计须为 100。",
    "4. 得分低于分值的指标，须在“偏差原因分析及改进措施”中写明原因和措施（不少于 10 字）。定量指标的人工得分"
    "须在“人工得分理由”中写明理由，否则按计算得分计。",
    "5. 得分、执行率、自评总分和等级不用填写：用 jixiao check 或 jixiao score 读取本工作簿时按设定重新计算"
    "（表中不含公式）。",
    "6. 填写“年度总体目标”的实际完成情况（不少于 30 字，不要照抄预期目标）、自评结论、存在问题和改进措施。",
)
_UNLOCKED: Final = Protection(locked=False)
_MARKED: Final = PatternFill("solid", fgColor=FILL_COLOUR)


def _place(
    sheet: Worksheet, block: Block, top: int, heights: dict[int, float], fillable: bool, tiers: list[str]
) -> int:
    """Write a table block on the 自评表's grid with its first row at ``top``; returns the next row
    (and adds the coordinates of the 完成等级 cells to fill to ``tiers``).

    The self-evaluation's own tables use the nine columns one to one; the approved table's blocks
    are spread over them as on the target table's own sheet.
    """
    if block.name in {"main", "indicators"}:
        columns = xlsx._physical_columns(block)
    else:
        columns = [(c, c) for c in range(block.columns)]
    for r, c, cell in placed_cells(block):
        first_row, last_row = top + r, top + r + cell.rowspan - 1
        first_col, last_col = columns[c][0] + 1, columns[c + cell.colspan - 1][1] + 1
        xlsx._write_cell(sheet, first_row, first_col, cell)
        to_fill = fillable and isinstance(cell, FillCell)
        if to_fill:
            target = sheet.cell(row=first_row, column=first_col)
            target.protection, target.fill = _UNLOCKED, _MARKED
            if isinstance(cell, FillCell) and cell.fill == "tier":
                tiers.append(target.coordinate)
        if (first_row, first_col) != (last_row, last_col):
            for row in range(first_row, last_row + 1):
                for column in range(first_col, last_col + 1):
                    if (row, column) != (first_row, first_col):
                        sheet.cell(row=row, column=column).style = "jixiao-border"
            sheet.merged_cells.add(
                CellRange(min_row=first_row, min_col=first_col, max_row=last_row, max_col=last_col)
            )
        width = sum(XLSX_WIDTHS[first_col - 1 : last_col])
        lines = xlsx._lines_needed(cell.text, width) if cell.role not in {"amount", "number", "seq"} else 1
        if to_fill and cell.role == "goal":
            lines = max(lines, 4)  # room to write in
        per_row = lines * xlsx.LINE_HEIGHT / cell.rowspan + 4
        for row in range(first_row, last_row + 1):
            heights[row] = max(heights.get(row, 0.0), per_row)
    return top + len(block.rows)


def _text_row(sheet: Worksheet, row: int, block: Block, heights: dict[int, float]) -> None:
    size = {"title": 16.0, "heading": 13.0}.get(block.kind, 9.0)
    cell = sheet.cell(row=row, column=1, value=block.text)
    cell.font = Font(name=xlsx.FONT_NAME, size=size, bold=block.kind != "note")
    cell.alignment = xlsx._ALIGN["text" if block.kind == "note" else "heading"]
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COLUMNS)
    heights[row] = xlsx._lines_needed(block.text, sum(XLSX_WIDTHS)) * size * 1.45 + 6


def _form(sheet: Worksheet, blocks: list[Block], fillable: bool) -> list[str]:
    """Lay the blocks out on ``sheet``; returns the coordinates of the 完成等级 cells."""
    heights: dict[int, float] = {}
    tiers: list[str] = []
    row = 1
    for block in blocks:
        if block.kind == "table":
            row = _place(sheet, block, row, heights, fillable, tiers)
            continue
        if block.kind == "heading":
            sheet.row_breaks.append(Break(id=row))  # each part starts a page, as in the PDF
            row += 1
        elif block.kind == "note":
            row += 1
        if block.text:
            _text_row(sheet, row, block, heights)
            row += 1
    for index, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for number, height in heights.items():
        sheet.row_dimensions[number].height = round(height, 1)
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    xlsx._fit_to_page(sheet)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = "1:1"
    return tiers


_FIELD_MODELS: Final = (IndicatorResult, TaskResult, FundsRow, Funds, SelfEvaluation)
_FIELD_WORDS: Final = {"points": "分值", "goal_actual": "实际完成情况"}


def selfeval_field_title(section: str | None, field: str | None) -> str:
    """A self-evaluation finding's field as the form names it (``deviation`` → 偏差原因分析及改进措施)."""
    if not field:
        return ""
    if field in _FIELD_WORDS:
        return _FIELD_WORDS[field]
    for model in _FIELD_MODELS:
        info = model.model_fields.get(field)
        if info is not None and info.title:
            return info.title
    return ""


def _workbook(
    evaluation: SelfEvaluation, profile: Profile, fillable: bool
) -> tuple[Workbook, Worksheet, list[str]]:
    workbook = Workbook()
    xlsx.add_styles(workbook)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = FORM_SHEET
    tiers = _form(sheet, _blocks(evaluation, profile, shown=not fillable), fillable)
    return workbook, sheet, tiers


def selfeval_xlsx(
    evaluation: SelfEvaluation, profile: Profile = DEFAULT, report: Report | None = None
) -> bytes:
    """The self-evaluation as an XLSX workbook: the form with computed values (no formulas), and
    the findings (``report``, else a fresh check) on a second sheet."""
    if report is None:
        from jixiao.check import check_selfeval

        report = check_selfeval(evaluation, profile)
    workbook, _, _ = _workbook(evaluation, profile, fillable=False)
    findings = workbook.create_sheet(xlsx.FINDINGS_SHEET)
    xlsx._findings_sheet(findings, report, SELFEVAL_SECTION_TITLES, selfeval_field_title)
    return _saved(workbook)


def blank_workbook(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> bytes:
    """The workbook a department fills: the 自评表 with the copied parts locked (sheet protection
    without a password: it guards against slips, not people), the cells to fill unlocked and
    coloured, a list of the 定性 tiers in 完成等级, and the instructions on a second sheet.  The
    computed figures are left blank; reading the filled workbook computes them."""
    workbook, sheet, tiers = _workbook(evaluation, profile, fillable=True)
    if tiers:
        choices = ",".join(tier.value for tier in Tier)
        validation = DataValidation(
            type="list",
            formula1=f'"{choices}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="完成等级",
            error="请选择 达成、部分达成 或 未达成",
            promptTitle="完成等级",
            prompt="定性指标选择完成等级",
        )
        for coordinate in tiers:
            validation.add(coordinate)
        sheet.add_data_validation(validation)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # widths may change
    notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
    for number, line in enumerate(INSTRUCTIONS, start=1):
        cell = notes.cell(row=number, column=1, value=line)
        cell.font = Font(name=xlsx.FONT_NAME, size=14 if number == 1 else 10.5, bold=number == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[number].height = 22 if number == 1 else 48
    notes.column_dimensions["A"].width = 100
    notes.protection.sheet = True
    return _saved(workbook)


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The registry

SelfevalWriter = Callable[[SelfEvaluation, Profile, Report | None], bytes]

SELFEVAL_WRITERS: Final[dict[str, SelfevalWriter]] = {
    ".json": lambda evaluation, profile, report: (evaluation.to_json() + "\n").encode(),
    ".txt": lambda evaluation, profile, report: selfeval_text(evaluation, profile).encode(),
    ".html": lambda evaluation, profile, report: selfeval_html(evaluation, profile).encode(),
    ".htm": lambda evaluation, profile, report: selfeval_html(evaluation, profile).encode(),
    ".xlsx": selfeval_xlsx,
    ".docx": lambda evaluation, profile, report: selfeval_docx(evaluation, profile),
    ".pdf": lambda evaluation, profile, report: selfeval_pdf(evaluation, profile),
}


def write_selfeval_bytes(
    evaluation: SelfEvaluation, suffix: str, profile: Profile = DEFAULT, report: Report | None = None
) -> bytes:
    """The self-evaluation as the bytes of a file with extension ``suffix``."""
    writer = SELFEVAL_WRITERS.get(suffix.lower())
    if writer is None:
        known = "、".join(sorted(SELFEVAL_WRITERS))
        raise UnsupportedOutput(f"不支持输出为“{suffix or '无扩展名'}”格式，可用：{known}")
    return writer(evaluation, profile, report)


def write_selfeval_path(
    evaluation: SelfEvaluation, path: str | Path, profile: Profile = DEFAULT, report: Report | None = None
) -> None:
    """Write the self-evaluation to ``path`` in the format its extension names."""
    Path(path).write_bytes(write_selfeval_bytes(evaluation, Path(path).suffix, profile, report))


__all__ = [
    "SCORING_HEADING",
    "SELFEVAL_WRITERS",
    "blank_workbook",
    "selfeval_docx",
    "selfeval_html",
    "selfeval_pdf",
    "selfeval_text",
    "selfeval_xlsx",
    "write_selfeval_bytes",
    "write_selfeval_path",
]
