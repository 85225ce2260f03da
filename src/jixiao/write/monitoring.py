"""Writers of the monitoring report: the 部门整体支出绩效运行监控表 in the official layout (XLSX,
HTML, PDF, DOCX, text) and as open data (JSON), all drawn from
:func:`jixiao.write.monitoring_layout.monitoring_layout`, on the machinery the self-evaluation's
writers use (:mod:`jixiao.write.form`).

The XLSX holds computed values (执行率, warnings: never formulas) and the findings on a second
sheet.  :func:`blank_workbook` is the workbook a department fills (``jixiao monitor new``).
"""

from __future__ import annotations

from typing import Final

from jixiao.catalogue import MONITORING_SECTION_TITLES
from jixiao.check import check_monitoring
from jixiao.model.monitoring import (
    IndicatorProgress,
    MonitoringFunds,
    MonitoringFundsRow,
    MonitoringReport,
    TaskProgress,
)
from jixiao.monitoring import warnings
from jixiao.profile import DEFAULT, Profile
from jixiao.write.form import FieldTitles, FormWriters, ListText, fillable_workbook
from jixiao.write.layout import Block
from jixiao.write.monitoring_layout import monitoring_layout, title_of

#: Captions of the report's own tables on a web page (for screen readers).
_CAPTIONS: Final = ("绩效运行监控表", "指标预警说明")


def _blocks(report: MonitoringReport, profile: Profile, shown: bool = True) -> list[Block]:
    return monitoring_layout(report, warnings(report, profile), profile, shown=shown)


# ---------------------------------------------------------------------------------------------
# XLSX

FORM_SHEET: Final = "监控表"
INSTRUCTIONS_SHEET: Final = "填写说明"
#: Widths of the 监控表's twelve columns, in characters (a 汉字 counts two).
XLSX_WIDTHS: Final = (10.0, 9.0, 11.0, 18.0, 11.0, 11.0, 11.0, 10.0, 12.0, 18.0, 18.0, 8.0)
INSTRUCTIONS: Final = (
    "填写说明",
    "1. 本工作簿由批复的部门整体预算绩效目标表生成，数据截至监控月份的月末。从目标表复制的内容（部门、"
    "年初预算数、任务、指标及年度指标值）已锁定，不能修改；浅黄色单元格由部门填写。",
    "2. 预算执行情况：填写调整后预算数、截至监控月份的累计执行数和全年预计执行数（万元，只填数字）。执行率"
    "和预警不用填写：执行率 ÷ 序时进度低于设定（默认 80%）为黄色、低于 60% 为红色，须在“预算执行偏差原因及"
    "纠偏措施”中写明原因和措施。",
    "3. 绩效指标：“完成值”和“全年预计完成值”只填数字（如 4、7*24），不写对比符号和计量单位；日期目标填完成"
    "日期；定性指标填或在“指标预警说明”的“完成等级”中选择 达成、部分达成 或 未达成。“完成可能性”从下拉"
    "列表中选择。",
    "4. 完成可能性为“有可能”或“完全不可能”、预警为红色或黄色、或 ≤ 类指标已超出目标的，须选择偏差原因"
    "（可多选，用“、”分隔）并填写原因说明（不少于 10 字）和纠偏措施。",
    "5. 年底前无法测量的指标（如满意度调查）可在“指标预警说明”中将“年底测评”选为“是”并写明理由（灰色，"
    "不预警），仍须填写全年预计完成值。调整指标值的，填写调整后指标值和调整理由。",
    "6. 预警（红、黄、绿、蓝、灰）不用填写：用 jixiao check 或 jixiao warnings 读取本工作簿时按设定计算"
    "（表中不含公式）。最后填写存在的问题和下一步措施。",
)


def _list_texts(profile: Profile) -> dict[str, ListText]:
    return {
        "tier": ListText("完成等级", "定性指标选择完成等级", "请选择 达成、部分达成 或 未达成"),
        "likelihood": ListText(
            "完成可能性", "选择完成目标的可能性", "请选择 " + "、".join(profile.likelihood)
        ),
        "causes": ListText(
            "偏差原因",
            "选择偏差原因；多个原因用“、”分隔：" + "、".join(profile.deviation_causes),
            "请从列表中选择",
        ),
        "yes-no": ListText("是否", "选择 是 或 否", "请选择 是 或 否"),
    }


#: A monitoring finding's field as the form names it (``measures`` → 纠偏措施).
monitoring_field_title: Final = FieldTitles(
    (IndicatorProgress, TaskProgress, MonitoringFundsRow, MonitoringFunds, MonitoringReport)
)


def blank_workbook(report: MonitoringReport, profile: Profile = DEFAULT) -> bytes:
    """The workbook a department fills: the 监控表 with the copied parts locked, the cells to fill
    unlocked and coloured, lists of the profile's choices (完成可能性, 偏差原因, 完成等级, 年底测评),
    and the instructions on a second sheet.  执行率 and the warnings are left blank; reading the
    filled workbook computes them."""
    return fillable_workbook(
        _blocks(report, profile, shown=False),
        FORM_SHEET,
        XLSX_WIDTHS,
        instructions_title=INSTRUCTIONS_SHEET,
        instructions=INSTRUCTIONS,
        list_texts=_list_texts(profile),
        landscape=True,
    )


# ---------------------------------------------------------------------------------------------
# The registry


#: The 监控表 has twelve columns: printed across an A4 page.
MONITORING_FORMS: Final = FormWriters(
    _blocks,
    title_of,
    _CAPTIONS,
    check_monitoring,
    FORM_SHEET,
    XLSX_WIDTHS,
    MONITORING_SECTION_TITLES,
    monitoring_field_title,
    landscape=True,
)
monitoring_html = MONITORING_FORMS.html
monitoring_text = MONITORING_FORMS.text
monitoring_docx = MONITORING_FORMS.docx
monitoring_pdf = MONITORING_FORMS.pdf
monitoring_xlsx = MONITORING_FORMS.xlsx
MONITORING_WRITERS: Final = MONITORING_FORMS.writers
write_monitoring_bytes = MONITORING_FORMS.write_bytes
write_monitoring_path = MONITORING_FORMS.write_path
