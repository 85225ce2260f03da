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
    "not-a-selfeval": Entry(
        "error",
        "{source}：未找到带“实际完成值”和“得分”的绩效指标表，不是部门整体支出绩效自评表。",
        fatal=True,
    ),
    "not-a-monitoring": Entry(
        "error",
        "{source}：未找到带“全年预计完成值”和“完成可能性”的绩效指标表及附后的批复目标表，"
        "不是本工具生成的部门整体支出绩效运行监控表（{why}）。",
        fatal=True,
    ),
    "rows-unmatched": Entry(
        "error",
        "第{line}行的指标“{name}”与批复的目标表中这一位置的指标“{expected}”不符，该行未读入；"
        "请不要改动表中从目标表复制的指标。",
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
    "part-absent": Entry("info", "本表是{layout}的表式，没有{part}，{unchecked}。"),
    "amounts-in-yuan": Entry(
        "info", "第{line}行“{label}”表明金额以元为单位，已按 1 万元 = 10000 元把 {count} 个金额换算为万元。"
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
    # --- self-evaluation (shared/spec/CYCLE.md) -------------------------------------------------
    "selfeval-funds-mismatch": Entry("error", "{detail}，请核对。"),
    "selfeval-funds-missing": Entry("error", "年度资金总额的{label}{problem}，请按批复的预算和决算填写。"),
    "selfeval-execution-unexplained": Entry("error", "{detail}，请在“预算调整及执行偏差说明”中写明原因。"),
    "selfeval-actual-missing": Entry("error", "绩效指标第{row}行“{name}”未填写{what}，按 0 分计；请填写。"),
    "selfeval-actual-invalid": Entry(
        "error", "绩效指标第{row}行“{name}”的实际完成值“{value}”{problem}，按 0 分计；请改正。"
    ),
    "selfeval-points-invalid": Entry("error", "{detail}，请调整分值。"),
    "selfeval-points-moved": Entry(
        "warning", "{group}各行分值合计 {actual}，设定为 {expected}：分值已在指标间调整，请审核时留意。"
    ),
    "selfeval-points-redistributed": Entry(
        "warning", "没有填写{group}，其 {points} 分已按比例分给{others}。"
    ),
    "selfeval-score-out-of-range": Entry(
        "error", "绩效指标第{row}行“{name}”的自评得分 {score} 超出{band}，未采用，按 {used} 分计；请改正。"
    ),
    "selfeval-override-unexplained": Entry(
        "error",
        "绩效指标第{row}行“{name}”的人工得分 {entered} 与计算得分 {computed} 不同，却没有写明理由，"
        "按计算得分计；请写明理由或删去人工得分。",
    ),
    "selfeval-deviation-unexplained": Entry(
        "error",
        "绩效指标第{row}行“{name}”得分 {score}，低于分值 {points}，请在“偏差原因分析及改进措施”中写明"
        "原因和措施（不少于 {minimum} 字）。",
    ),
    "selfeval-target-too-low": Entry(
        "warning",
        "绩效指标第{row}行“{name}”实际 {actual} 超出目标 {target} 达 {over}%（超过 {flag}%），年度指标值可能定得偏低。",
    ),
    "selfeval-total-mismatch": Entry(
        "error", "{place}印的是 {printed}，按实际完成值重新计算应为 {computed}。"
    ),
    "selfeval-goal-unreported": Entry(
        "warning", "年度总体目标的实际完成情况{problem}，请对照预期目标写明实际完成了什么。"
    ),
    "selfeval-monitor-contradicts": Entry(
        "warning",
        "绩效指标第{row}行“{name}”运行监控时填报“{likelihood}”完成，自评得分却只有 {score}（分值 {points}），"
        "请在偏差原因中说明。",
    ),
    # --- in-year monitoring (shared/spec/CYCLE.md) ----------------------------------------------
    "monitor-month-invalid": Entry("error", "{detail}，请改正。"),
    "monitor-indicators-changed": Entry(
        "error", "{detail}；绩效指标以批复的目标表为准，确需调整的，请填写调整后指标值并写明调整理由。"
    ),
    "monitor-value-missing": Entry("error", "绩效指标第{row}行“{name}”未填写{what}，请填写。"),
    "monitor-value-invalid": Entry("error", "绩效指标第{row}行“{name}”的{what}“{value}”{problem}，请改正。"),
    "monitor-choice-invalid": Entry(
        "error", "绩效指标第{row}行“{name}”的{what}“{value}”不是可选的项目，应为：{choices}。"
    ),
    "monitor-cause-missing": Entry("error", "绩效指标第{row}行“{name}”：{why}，请填写{missing}。"),
    "monitor-cause-note-missing": Entry(
        "error",
        "绩效指标第{row}行“{name}”选了偏差原因“{causes}”，请在“原因说明”中具体说明（不少于 {minimum} 字）。",
    ),
    "monitor-funds-mismatch": Entry("error", "{detail}，请核对。"),
    "monitor-funds-missing": Entry("error", "资金情况“年度资金总额”的{label}{problem}，请按预算和账务填写。"),
    "monitor-budget-unexplained": Entry(
        "error",
        "预算执行{word}色预警：{why}；请在“预算执行偏差原因及纠偏措施”中写明原因和措施。",
    ),
    "monitor-likelihood-contradicts": Entry(
        "warning",
        "绩效指标第{row}行“{name}”填报“{likelihood}”完成目标，全年预计完成值 {forecast} 却达不到目标 {target}，"
        "请核实完成可能性或预计值。",
    ),
    "monitor-overspent": Entry("warning", "{detail}，请核实。"),
    "monitor-far-ahead": Entry(
        "warning", "绩效指标第{row}行“{name}”：{why}，远超序时进度，年度指标值可能定得偏低。"
    ),
}

#: Chinese fragments that rules put into the templates' figures (so that every Chinese word a rule
#: shows comes from this module).  Keys are English; ``{…}`` fields are filled with ``str.format``.
#: Why a file could not be read: the ``{reason}`` of ``file-unreadable`` and ``format-unsupported``.
REASONS: Final[dict[str, str]] = {
    "os": "操作系统未能读取这个文件：{error}",
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
    "internal": "读取程序遇到未能处理的内容（内部错误），请将此文件报告给开发者",
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
    "greater_than_equal": "超出允许范围",
    "less_than_equal": "超出允许范围",
    "too_short": "不能为空",
    "": "值无效",
}

#: Why a profile (设定) file cannot be used (:mod:`jixiao.profile`).
PROFILE_PROBLEMS: Final[dict[str, str]] = {
    "unreadable": "{source}：无法读取设定文件（{reason}）",
    "not-json": "{source}：设定文件不是有效的 JSON{where}",
    "json-where": "（第 {line} 行第 {column} 列）",
    "not-object": "{source}：设定文件应为一个 JSON 对象（{{…}}）",
    "unknown-base": "{source}：没有名为“{base}”的设定，可用的有：{known}",
    "invalid": "{source}：设定有误：{problems}",
    "unknown-setting": "没有这项设定（请检查拼写）",
    "points-total": "预算执行率分值与各一级指标分值之和应为 100，现为 {total}",
    "points-negative": "分值不能为负数",
    "level1-unknown": "一级指标分值中的“{names}”不是指标体系中的一级指标（应为 产出指标、成本指标、效益指标、满意度指标）",
    "bands-order": "等级分数段应从高到低排列，最低总分互不相同",
    "bands-bottom": "最后一个等级的最低总分应为 0",
    "warning-order": "预警阈值应为 红 < 黄（< 蓝）",
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
    "funds-initial": "资金情况“{row}”的年初预算数 {value} 与批复的目标表（{approved}）不一致",
    "funds-sum": "资金情况的{column}：年度资金总额 {total} 万元 ≠ 财政拨款 {fiscal} 万元 + 其他资金 {other} 万元，相差 {difference} 万元",
    "funds-not-filled": "未填写",
    "funds-not-positive": "为 {value} 万元，应大于 0",
    "funds-negative": "为 {value} 万元，不能为负数",
    "execution-low": "预算执行率 {rate}%（{executed}÷{planned}）低于 {threshold}%",
    "execution-adjusted": "全年预算数 {planned} 万元与年初预算数 {initial} 万元不同（预算有调整）",
    "actual-what.value": "实际完成值",
    "actual-what.tier": "完成等级（达成、部分达成、未达成）",
    "actual.comparator": "含有对比符号，只填实际的数字",
    "actual.unit": "带有计量单位，只填数字（单位见计量单位栏）",
    "actual.not-a-number": "不是数字",
    "actual.not-a-date": "不是日期，应填完成日期（如 2023年12月20日）",
    "actual.percent-over-100": "超过 100%，而该指标不是增长率",
    "points-row": "绩效指标第{row}行“{name}”的分值为 {points}，应大于 0",
    "points-row-ungrouped": "绩效指标第{row}行“{name}”的一级指标“{level1}”在设定中没有分值，该行分值为 {points}，应大于 0",
    "points-total": "预算执行率分值 {execution} 与各指标分值之和 {indicators} 合计 {total}，应为 100",
    "band-points": "范围 0–{w} 分",
    "band-tier": "“{tier}”的分数段 {band}",
    "printed-row": "绩效指标第{row}行“{name}”的得分",
    "printed-execution": "预算执行率得分",
    "printed-total": "自评总分",
    "printed-grade": "等级",
    "goal.blank": "未填写",
    "goal.short": "仅 {length} 字（应不少于 {minimum} 字）",
    "goal.copy": "与预期目标相同",
}

#: Chinese names of the self-evaluation's parts, for findings' sections (``jixiao.findings``).
SELFEVAL_SECTION_TITLES: Final[dict[str, str]] = {
    "file": "文件",
    "funds": "年度资金",
    "overall_goal": "年度总体目标",
    "tasks": "任务完成情况",
    "indicators": "绩效指标",
    "conclusion": "自评结论",
    "total": "自评总分",
}

#: Chinese names of the monitoring report's parts, for findings' sections (``jixiao.findings``).
MONITORING_SECTION_TITLES: Final[dict[str, str]] = {
    "file": "文件",
    "period": "监控期间",
    "funds": "资金情况",
    "tasks": "任务进展",
    "indicators": "绩效指标",
    "summary": "存在的问题和下一步措施",
}

#: The word of each warning colour: a colour is never the only signal (``none``: not computable).
COLOUR_WORDS: Final[dict[str, str]] = {
    "red": "红",
    "yellow": "黄",
    "green": "绿",
    "blue": "蓝",
    "grey": "灰",
    "none": "未定",
}

#: Why a monitoring row or the budget has its colour (:mod:`jixiao.monitoring`): A the target, B the
#: value to date, m the month; every figure is shown as computed.
MONITOR_WHY: Final[dict[str, str]] = {
    "budget": "执行率 {executed}÷{budget} = {rate}%，序时进度 {month}÷12 = {t}%，进度比 = {rate}÷{t}×100 = {v}，{band}",
    "budget-unknown": "调整后预算数或1–{month}月执行数未填（或预算数不大于 0），无法计算预算执行预警",
    "month-invalid": "截至月份 {month} 不在 1–11 月之间，无法计算序时进度",
    "pro-rated": "1–{month}月完成 {b}，按序时进度应完成 {a}×{month}÷12 = {expected}，进度比 = {b}÷{expected}×100 = {v}，{band}",
    "stock": "存量指标不按序时进度折算：进度比 = {b}÷{a}×100 = {v}，{band}",
    "lower-met": "1–{month}月为 {b}，符合目标 {sign}{a}，绿色",
    "lower-over": "1–{month}月为 {b}，已超出目标 {sign}{a}，红色预警",
    "zero-met": "目标为 {sign}{a}，1–{month}月为 {b}，绿色",
    "zero-missed": "目标为 {sign}{a}，1–{month}月为 {b}，红色预警",
    "tier": "定性指标1–{month}月“{tier}”，{word}色{alert}",
    "date-met": "{completed} 已完成，未晚于目标期限 {end}，绿色",
    "date-late": "{completed} 才完成，晚于目标期限 {end}，红色预警",
    "date-open": "尚未完成，{asof} 未到目标期限 {end}，绿色",
    "date-overdue": "尚未完成，已过目标期限 {end}，红色预警",
    "year-end": "年底测评（{reason}），不预警，灰色",
    "year-end-no-reason": "年底测评（未写理由），不预警，灰色",
    "value-missing": "1–{month}月完成值未填，无法预警",
    "value-invalid": "1–{month}月完成值不是有效的数值，无法预警",
    "department": "部门预警取预算执行和各指标中最差的颜色：{word}色（{where}）",
    "department-unknown": "预算执行和各指标都无法预警（数据未填全），部门预警未定",
}

#: The bands of a warning (v against the profile's thresholds): the end of a ``why``.
BAND_PHRASES: Final[dict[str, str]] = {
    "red": "低于 {red}，红色预警",
    "yellow": "不低于 {red}、低于 {yellow}，黄色预警",
    "green": "不低于 {yellow}，绿色",
    "green-below-blue": "不低于 {yellow}、低于 {blue}，绿色",
    "blue": "不低于 {blue}，蓝色（远超进度）",
    "alert": "预警",
}

#: Chinese fragments of the monitoring rules' messages (:mod:`jixiao.rules.monitoring`).
MONITOR_PHRASES: Final[dict[str, str]] = {
    "month-range": "截至月份为 {month} 月，运行监控应截至 1–11 月中某月的月末",
    "year-other": "监控年度 {year} 与批复的目标表的年度 {table_year} 不同",
    "year-missing": "监控年度未填写（批复的目标表为 {table_year} 年）",
    "rows-count": "绩效指标有 {count} 行，批复的目标表有 {approved} 行",
    "row-differs": "绩效指标第{row}行的{what}“{value}”与批复的目标表（“{approved}”）不同",
    "adjusted-unexplained": "绩效指标第{row}行“{name}”的指标值由“{initial}”调整为“{adjusted}”，却没有写明调整理由",
    "what.name": "三级指标",
    "what.comparator": "对比符号",
    "what.value": "指标值",
    "what.to_date": "1–{month}月完成值",
    "what.tier": "1–{month}月完成等级（达成、部分达成、未达成）",
    "what.forecast": "全年预计完成值",
    "what.forecast_tier": "全年预计完成等级（达成、部分达成、未达成）",
    "what.likelihood": "完成目标可能性",
    "what.causes": "偏差原因",
    "what.year_end_reason": "年底测评的理由（为什么年底前无法测量）",
    "what.adjusted_target": "调整后指标值",
    "problem.comparator": "含有对比符号，只填数字",
    "problem.unit": "带有计量单位，只填数字（单位见计量单位栏）",
    "problem.not-a-number": "不是数字",
    "problem.not-a-date": "不是日期，应填完成日期（如 2024年6月20日）",
    "problem.not-a-tier": "不是完成等级，应为达成、部分达成或未达成",
    "problem.not-a-target": "不是与原指标值同类的值（数字、乘积或日期）",
    "why.alert": "{why}",
    "why.likelihood": "完成目标可能性为“{likelihood}”",
    "why.over": "1–{month}月为 {b}，已超出目标 {sign}{a}",
    "missing.both": "偏差原因和纠偏措施",
    "missing.causes": "偏差原因",
    "missing.measures": "纠偏措施",
    "funds.initial_budget": "年初预算数",
    "funds.adjusted_budget": "调整后预算数",
    "funds.executed": "1–{month}月执行数",
    "funds.forecast": "全年预计执行数",
    "funds.not-filled": "未填写",
    "funds.not-positive": "为 {value} 万元，应大于 0",
    "funds.negative": "为 {value} 万元，不能为负数",
    "funds-initial": "资金情况“{row}”的年初预算数 {value} 与批复的目标表（{approved}）不一致",
    "funds-sum": "资金情况的{column}：年度资金总额 {total} 万元 ≠ {first} {first_value} 万元 + {second} {second_value} 万元，相差 {difference} 万元",
    "overspent-row": "资金情况“{row}”的1–{month}月执行数 {executed} 万元超过调整后预算数 {budget} 万元",
    "overspent-tasks": "各任务1–{month}月执行数合计 {tasks} 万元超过项目支出的1–{month}月执行数 {project} 万元",
    "place.budget": "预算执行",
    "place.row": "第{row}行“{name}”",
}

#: Why a self-evaluation row scores what it scores (:mod:`jixiao.scoring`): A the target, B the value
#: achieved, w the row's points; every figure is shown as computed.
WHY: Final[dict[str, str]] = {
    "execution": "执行率 {x}÷{p}={rate}%，得分 min({w}, {w}×{rate}%) = {score}",
    "execution-unknown": "全年预算数或全年执行数未填（或预算数不大于 0），执行率无法计算，得 0 分（满分 {w}）",
    "met": "实际 {b} 达到目标 {sign}{a}，得满分 {w}",
    "higher": "实际 {b} 未达到目标 {sign}{a}，得分 {w}×{b}÷{a} = {score}",
    "lower-ratio": "实际 {b} 超出目标 {sign}{a}，得分 {w}×{a}÷{b} = {score}",
    "lower-linear": "实际 {b} 超出目标 {sign}{a}，得分 {w}×max(0, 1−({b}−{a})÷{a}) = {score}",
    "lower-zero": "目标为 {sign}{a}，实际 {b}，得 0 分",
    "equal-zero": "目标为 ={a}，实际 {b}，得 0 分",
    "equal-over-full": "实际 {b} 超过目标 ={a}，得满分 {w}",
    "equal-symmetric": "实际 {b} 偏离目标 ={a}，得分 {w}×max(0, 1−|{b}−{a}|÷{a}) = {score}",
    "date-met": "{completed} 完成，未晚于目标期限 {end}，得满分 {w}",
    "date-late": "{completed} 完成，晚于目标期限 {end} {days} 天，得分 {w}×max(0, 1−{days}÷365) = {score}",
    "actual-missing": "实际完成值未填，得 0 分（满分 {w}）",
    "actual-invalid": "实际完成值不是有效的数值，得 0 分（满分 {w}）",
    "tier-missing": "定性指标未选完成等级，得 0 分（满分 {w}）",
    "tier-default": "定性指标“{tier}”，分数段 {band}，按默认得分 {score}",
    "tier-entered": "定性指标“{tier}”，分数段 {band}，自评得分 {score}",
    "manual": "计算得分 {computed}，人工得分 {score}（理由：{reason}）",
    "total": "总分 = 预算执行率得分 {execution} + 各指标得分之和 {rows} = {total}，等级“{grade}”",
}
