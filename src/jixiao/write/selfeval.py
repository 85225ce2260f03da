"""Writers of the self-evaluation: the 自评表 in the official layout (XLSX, HTML, PDF, DOCX, text)
and as open data (JSON), all drawn from :func:`jixiao.write.selfeval_layout.selfeval_layout`.

The XLSX holds computed values (never formulas) and the findings on a second sheet.
:func:`blank_workbook` is the workbook a department fills (``jixiao selfeval new``): the copied
parts locked, the cells to fill unlocked and marked, a list of the 定性 tiers, instructions on a
sheet of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from openpyxl.worksheet.worksheet import Worksheet

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.check import check_selfeval
from jixiao.model.selfeval import Funds, FundsRow, IndicatorResult, SelfEvaluation, TaskResult
from jixiao.profile import DEFAULT, Profile
from jixiao.scoring import score
from jixiao.write.form import FieldTitles, FormWriters, ListText, fillable_workbook, form_sheet
from jixiao.write.layout import Block
from jixiao.write.selfeval_layout import SCORING_HEADING, selfeval_layout, title_of
from jixiao.write.xlsx import SummaryValue, summary_workbook

#: Captions of the self-evaluation's own tables on a web page (for screen readers).
_CAPTIONS: Final = ("绩效自评表", "得分计算说明")


def _blocks(evaluation: SelfEvaluation, profile: Profile, shown: bool = True) -> list[Block]:
    return selfeval_layout(evaluation, score(evaluation, profile), shown=shown)


# ---------------------------------------------------------------------------------------------
# XLSX

FORM_SHEET: Final = "自评表"
INSTRUCTIONS_SHEET: Final = "填写说明"
#: Widths of the 自评表's nine columns, in characters (a 汉字 counts two).
XLSX_WIDTHS: Final = (11.0, 12.0, 13.0, 22.0, 13.0, 13.0, 9.0, 10.0, 26.0)
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
_TIER_LIST: Final = ListText("完成等级", "定性指标选择完成等级", "请选择 达成、部分达成 或 未达成")


#: A self-evaluation finding's field as the form names it (``deviation`` → 偏差原因分析及改进措施).
selfeval_field_title: Final = FieldTitles(
    (IndicatorResult, TaskResult, FundsRow, Funds, SelfEvaluation),
    {"points": "分值", "goal_actual": "实际完成情况"},
)


def blank_workbook(evaluation: SelfEvaluation, profile: Profile = DEFAULT) -> bytes:
    """The workbook a department fills: the 自评表 with the copied parts locked, the cells to fill
    unlocked and coloured, a list of the 定性 tiers in 完成等级, and the instructions on a second
    sheet (:func:`jixiao.write.form.fillable_workbook`).  The computed figures are left blank;
    reading the filled workbook computes them."""
    return fillable_workbook(
        _blocks(evaluation, profile, shown=False),
        FORM_SHEET,
        XLSX_WIDTHS,
        instructions_title=INSTRUCTIONS_SHEET,
        instructions=INSTRUCTIONS,
        list_texts={"tier": _TIER_LIST},
    )


def selfeval_workbook(
    evaluations: Sequence[tuple[str, SelfEvaluation]],
    profile: Profile,
    summary_headings: Sequence[str],
    summary_rows: Sequence[Sequence[SummaryValue]],
    summary_title: str = "",
    links: Sequence[int | None] = (),
) -> bytes:
    """A year's self-evaluations in one workbook: a summary sheet first, then each ``(name,
    evaluation)`` in the official layout, scored with ``profile``, on a sheet named after it (as
    :func:`jixiao.write.xlsx.write_workbook` does for target tables)."""

    def form(evaluation: SelfEvaluation) -> Callable[[Worksheet], None]:
        def write(sheet: Worksheet) -> None:
            form_sheet(sheet, _blocks(evaluation, profile), XLSX_WIDTHS)

        return write

    forms = [(name, form(evaluation)) for name, evaluation in evaluations]
    return summary_workbook(forms, summary_headings, summary_rows, summary_title, links)


# ---------------------------------------------------------------------------------------------
# The registry


SELFEVAL_FORMS: Final = FormWriters(
    _blocks,
    title_of,
    _CAPTIONS,
    check_selfeval,
    FORM_SHEET,
    XLSX_WIDTHS,
    SELFEVAL_SECTION_TITLES,
    selfeval_field_title,
)
selfeval_html = SELFEVAL_FORMS.html
selfeval_text = SELFEVAL_FORMS.text
selfeval_docx = SELFEVAL_FORMS.docx
selfeval_pdf = SELFEVAL_FORMS.pdf
selfeval_xlsx = SELFEVAL_FORMS.xlsx
SELFEVAL_WRITERS: Final = SELFEVAL_FORMS.writers
write_selfeval_bytes = SELFEVAL_FORMS.write_bytes
write_selfeval_path = SELFEVAL_FORMS.write_path


__all__ = [
    "SCORING_HEADING",
    "SELFEVAL_WRITERS",
    "blank_workbook",
    "selfeval_docx",
    "selfeval_html",
    "selfeval_pdf",
    "selfeval_text",
    "selfeval_workbook",
    "selfeval_xlsx",
    "write_selfeval_bytes",
    "write_selfeval_path",
]
