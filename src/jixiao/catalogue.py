"""The catalogue of finding codes: severity and Chinese message template of each.

Codes are stable (``shared/spec/RULES.md``): tests, the web app and users' scripts rely on them.
Templates name the place and the figures; their fields are filled by :func:`jixiao.findings.finding`.
Codes marked ``fatal`` stop reading (``parse``/``check`` exit 2) and are reported as errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class Entry:
    severity: Literal["error", "warning", "info"]
    template: str
    fatal: bool = False


CATALOGUE: Final[dict[str, Entry]] = {
    # --- reading -------------------------------------------------------------------------------
    "not-a-target-table": Entry(
        "error", "{source}：未找到“部门名称”或“绩效指标”，不是部门整体预算绩效目标表。", fatal=True
    ),
    "file-unreadable": Entry("error", "{source}：无法读取（{reason}）。", fatal=True),
    "file-too-large": Entry("error", "{source}：文件大小 {size} 超过上限 {limit}，拒绝读取。", fatal=True),
    "file-needs-ocr": Entry("error", "{source}：PDF {problem}，需要先做文字识别（OCR）再读取。", fatal=True),
    "format-unsupported": Entry("error", "{source}：{reason}", fatal=True),
    "level1-inferred": Entry(
        "info", "绩效指标第{row}行（“{name}”）的一级指标为空，已按二级指标“{level2}”补为“{level1}”。"
    ),
    "row-unrecognized": Entry("warning", "第{line}行无法归入表中任何部分，内容未读入：{cells}"),
    "cells-unplaced": Entry("warning", "第{line}行有单元格不在任何栏目之下，内容未读入：{cells}"),
    "more-tables": Entry(
        "warning", "第{line}行起是另一张目标表，本次只读取了第一张；请把它另存为单独的文件再读取。"
    ),
    "year-missing": Entry("warning", "{where}，也没有“年度”栏，年度未能确定。"),
    "comparator-absent": Entry(
        "info", "表中没有“对比符号”栏，{count}个指标的对比符号未能确定（写在指标值中的已读入），按未填处理。"
    ),
    "budget-total-mismatch": Entry(
        "warning", "{what}印的是 {printed}，按预算整体情况的各项金额应为 {computed}。"
    ),
    # --- header and budget (填报要求 1 and 3) ------------------------------------------------
    "department-name-missing": Entry("error", "部门名称未填写。"),
    "department-name-mismatch": Entry(
        "warning", "部门名称“{name}”与填报部门“{department}”不一致，请确认这张表属于本部门。"
    ),
    "text-too-long": Entry("error", "{place}有 {length} 字，超过上限 {limit} 字，请删减。"),
    "staff-count-invalid": Entry("error", "财政供养人员数{problem}，应填写不小于 0 的整数。"),
    "subordinate-units-blank": Entry("info", "下属二级单位数未填写，按没有下属二级单位处理。"),
    "subordinate-units-invalid": Entry("error", "下属二级单位数“{value}”不是不小于 0 的整数。"),
    "amount-invalid": Entry("error", "{place}“{value}”不是有效金额，应为不小于 0 的数字（万元）。"),
    "weight-invalid": Entry("error", "{place}“{value}”不是有效的指标权重，应为不小于 0 的数字。"),
    "project-expenditure-mismatch": Entry(
        "error",
        "项目支出 {declared} ≠ 任务拟投入金额合计 {total} 万元，相差 {difference} 万元"
        "（填报要求3：项目支出应等于年度重点工作任务和其他需完成任务的拟投入金额汇总数）。",
    ),
    "budget-overview-incomplete": Entry("warning", "预算整体情况中“{label}”未填写。"),
    "income-expenditure-mismatch": Entry(
        "warning",
        "支出合计 {expenditure} 万元（基本支出 {basic} + 项目支出 {project}）≠ 收入合计 {income} 万元"
        "（财政拨款 {fiscal} + 其他资金 {other}），相差 {difference} 万元。",
    ),
    # --- 总体绩效目标 (填报要求 2) ------------------------------------------------------------
    "goal-too-short": Entry("error", "总体绩效目标仅 {length} 字，不得少于 {minimum} 字（填报要求2）。"),
    "goal-tasks-unlinked": Entry("warning", "总体绩效目标未体现以下年度重点工作任务（填报要求2）：{tasks}。"),
    "goal-not-quantified": Entry("warning", "总体绩效目标中没有任何数字，目标未细化量化。"),
    # --- tasks ----------------------------------------------------------------------------------
    "task-name-missing": Entry("error", "{section}第{row}行（序号 {seq}）未填写名称。"),
    "task-amount-missing": Entry("error", "{section}第{row}行“{name}”未填写拟投入金额。"),
    "task-content-missing": Entry("warning", "{section}第{row}行“{name}”未填写主要实施内容。"),
    "task-duplicate": Entry("warning", "任务第{row}行“{name}”与第{first_row}行重名。"),
    "task-total-mismatch": Entry(
        "warning", "第{line}行“{label}”印的是 {printed} 万元，上面各任务拟投入金额之和为 {total} 万元。"
    ),
    "task-numbering": Entry("info", "任务序号为 {found}，应从 1 起跨两部分连续编号（1..{count}）。"),
    # --- indicators ---------------------------------------------------------------------------
    "indicator-name-missing": Entry("error", "绩效指标第{row}行（{level1}/{level2}）未填写三级指标名称。"),
    "indicator-category-unknown": Entry(
        "error",
        "绩效指标第{row}行“{name}”的指标类别“{level1}/{level2}”不属于财预〔2015〕88号"
        "或财预〔2021〕101号的指标体系。",
    ),
    "comparator-unknown": Entry(
        "error", "绩效指标第{row}行“{name}”的对比符号“{comparator}”无法识别，应为 ≥ ≤ = > < 或 定性。"
    ),
    "target-value-missing": Entry("error", "绩效指标第{row}行“{name}”未填写指标值。"),
    "target-value-invalid": Entry(
        "error",
        "绩效指标第{row}行“{name}”的对比符号为“{comparator}”，指标值“{value}”却不是数字、乘积或日期区间"
        "（文字目标请用“定性”）。",
    ),
    "unit-missing": Entry("warning", "绩效指标第{row}行“{name}”的指标值 {value} 未填写计量单位。"),
    "percent-out-of-range": Entry("error", "绩效指标第{row}行“{name}”的指标值 {value}% 超出 0–100% 的范围。"),
    "percent-ge-100": Entry("warning", "绩效指标第{row}行“{name}”为“≥100%”，只能等于 100%，应写作“=100%”。"),
    "output-indicator-missing": Entry("error", "没有填写任何产出指标。"),
    "benefit-indicator-missing": Entry("error", "没有填写任何效益指标。"),
    "satisfaction-indicator-missing": Entry("warning", "没有填写满意度指标。"),
    "cost-indicator-missing": Entry("warning", "没有填写成本指标（产出指标/成本指标，或一级成本指标）。"),
    "indicator-misclassified": Entry("warning", "绩效指标第{row}行“{name}”{reason}。"),
    "indicator-duplicate": Entry("warning", "绩效指标第{row}行“{name}”与第{first_row}行重名。"),
    "explanation-repeats-name": Entry(
        "info", "绩效指标第{row}行“{name}”的三级指标解释只是重复指标名称，未说明口径。"
    ),
    "value-in-name": Entry(
        "warning", "绩效指标第{row}行的指标名称“{name}”中写入了目标值，目标值应填在指标值栏。"
    ),
    "timeliness-unit": Entry(
        "warning", "绩效指标第{row}行“{name}”是时效指标，计量单位“{unit}”却不是时间单位、%或日期。"
    ),
}

#: Chinese fragments that rules put into the templates' figures (so that every Chinese word a rule
#: shows comes from this module).  Keys are English; ``{…}`` fields are filled with ``str.format``.
#: Why a file could not be read: the ``{reason}`` of ``file-unreadable`` and ``format-unsupported``.
REASONS: Final[dict[str, str]] = {
    "os": "{error}",
    "not-found": "文件不存在",
    "no-permission": "没有读取这个文件的权限",
    "is-folder": "这是一个文件夹，不是文件",
    "encoding": "{encoding} 编码有误：文件中有不属于这种编码的字节",
    "not-text": "不是 UTF-8 或 GB18030 编码的文本文件",
    "json-syntax": "JSON 格式错误，第 {line} 行第 {column} 列",
    "json-depth": "JSON 嵌套过深",
    "json-number": "JSON 中有无法读取的数值",
    "json-fields": "JSON 字段有误：{fields}",
    "damaged": "不是有效的 {format} 文件：文件已损坏，或扩展名与内容不符",
    "encrypted": "文件已加密，请先取消密码再读取",
    "zip-entries": "压缩包内有 {count} 个文件，超过上限 {limit}，疑似压缩炸弹，拒绝读取",
    "zip-entry-size": "压缩包内文件 {name} 解压后 {size} 字节，超过上限，疑似压缩炸弹，拒绝读取",
    "zip-total-size": "压缩包解压后共 {size} 字节，超过上限 {limit}，疑似压缩炸弹，拒绝读取",
    "dtd": "{part} 中含有 DTD 或实体定义（办公文件从不需要，可能是恶意构造），拒绝读取",
    "pdf-pages": "PDF 有 {pages} 页，超过上限 {limit}",
    "pdf-content": "PDF 内容已损坏，无法取出文字",
    "pdf-page-text": "PDF 第 {page} 页的文字超过 {limit} 个字符，远超任何目标表，拒绝读取",
    "pdf-text": "PDF 到第 {page} 页为止的文字已超过 {limit} 个字符，远超任何目标表，拒绝读取",
    "doc-needs-libreoffice": "读取 Word 97-2003（.doc）文件需要 LibreOffice，本机未安装；请另存为 .docx 后再读取。",
    "doc-timeout": "LibreOffice 转换 .doc 超时",
    "doc-failed": "LibreOffice 无法转换此 .doc 文件",
    "internal": "内部错误 {error}，请将此文件报告给开发者",
    "grid-too-large": "表格展开后过大（{size}），远超任何目标表，疑似恶意构造，拒绝读取",
    "timeout": "读取超时（超过 {seconds} 秒），文件可能过于复杂或是恶意构造，拒绝读取",
    "memory": "读取所需内存超过上限，文件可能过于复杂或是恶意构造，拒绝读取",
    "rtf": "这是 RTF 文件，请用 Word 或 WPS 另存为 .docx 后再读取",
}

#: What pydantic found wrong with a field of a JSON table, by its error type.
JSON_PROBLEMS: Final[dict[str, str]] = {
    "missing": "缺少此字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字（写成字符串）",
    "string_type": "应为文字",
    "literal_error": "取值不在允许范围内",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "dict_type": "应为对象",
    "": "值无效",
}

#: Which part of a PDF needs OCR: the ``{problem}`` of ``file-needs-ocr``.
OCR_PROBLEMS: Final[dict[str, str]] = {
    "no-text": "没有文字层（可能是扫描件）",
    "no-unicode": "的文字缺少字符映射，无法取出",
}

PHRASES: Final[dict[str, str]] = {
    "blank": "未填",
    "budget-total": "第{line}行“{label}”",
    "budget-share": "第{line}行“{label}”的占比",
    "budget-total-label": "合计",
    "weight-label": "指标权重",
    "year-not-in-title": "表名“{title}”中没有年度",
    "no-title": "表中没有表名",
    "amount": "{amount} 万元",
    "not-a-count": "“{value}”不是有效的整数",
    "not-filled": "未填写",
    "negative": "为负数（{value}）",
    "list-separator": "、",
    "row-field": "{section}第{row}行的{label}",
    "task-section.key": "年度重点工作任务",
    "task-section.other": "其他需完成任务",
    "task-label": "序号 {seq}“{name}”",
    "task-unnamed": "序号 {seq}",
    "budget-amount-place": "预算整体情况中{label}",
    "task-amount-place": "{section}第{row}行“{name}”的拟投入金额",
    "indicator-weight-place": "绩效指标第{row}行“{name}”的指标权重",
    "misclassified.satisfaction": "含“满意”，是满意度指标，却填在“{level1}/{level2}”下",
    "misclassified.money-quantity": "以金额作为数量指标（计量单位“{unit}”），资金投入应列为成本指标",
    "misclassified.cost-benefit": "含“成本”，是成本指标，却填在效益指标下",
    "misclassified.separator": "；",
}
