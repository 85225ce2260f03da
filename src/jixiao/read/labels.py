"""The labels a reader looks for, and what each stands for.

Keys are label keys (:func:`jixiao.read.cells.label_key`: width-folded, no white space, no colon,
no ``(万元)``).  Layouts differ by city and year, so the mapper finds every field by these labels,
never by position; a new spelling seen in the wild is added here and nowhere else.
"""

from __future__ import annotations

from typing import Final, Literal

FieldTarget = tuple[Literal["department", "budget", "table"], str]

#: Labels followed (to the right, or below in a header-only row) by the value of one field.
FIELD_LABELS: Final[dict[str, FieldTarget]] = {
    **dict.fromkeys(("部门名称", "部门(单位)名称", "单位名称", "预算部门", "部门"), ("department", "name")),
    **dict.fromkeys(("资金主管部门", "主管部门", "资金主管部门名称"), ("department", "competent_department")),
    **dict.fromkeys(
        ("财政供养人员数", "财政供养人员数量", "财政供养人数", "财政供养人员", "财政供养人员总数"),
        ("department", "staff_count"),
    ),
    **dict.fromkeys(
        ("下属二级单位数", "下属二级单位数量", "下属二级预算单位数", "下属二级单位", "下属单位数"),
        ("department", "subordinate_unit_count"),
    ),
    **dict.fromkeys(("基本支出",), ("budget", "basic_expenditure")),
    **dict.fromkeys(("项目支出",), ("budget", "project_expenditure")),
    **dict.fromkeys(("财政拨款", "其中:财政拨款", "财政拨款收入"), ("budget", "fiscal_appropriation")),
    **dict.fromkeys(("其他资金", "其中:其他资金", "其他资金收入", "其他收入"), ("budget", "other_funds")),
    **dict.fromkeys(
        (
            "区级支出预算总量",
            "县级支出预算总量",
            "市级支出预算总量",
            "支出预算总量",
            "部门预算总额",
            "预算总额",
        ),
        ("budget", "total_expenditure"),
    ),
    **dict.fromkeys(("年度", "预算年度"), ("table", "year")),
    **dict.fromkeys(("填报人", "填表人"), ("table", "preparer")),
    **dict.fromkeys(("联系电话", "填报人电话"), ("table", "contact_phone")),
    **dict.fromkeys(("填报日期", "填表日期"), ("table", "prepared_on")),
}

#: Labels that head a part of the form and carry no value of their own.
SECTION_LABELS: Final[frozenset[str]] = frozenset(
    {
        "基本信息",
        "预算整体情况",
        "预算情况",
        "财政支出分类",
        "支出分类",
        "预算金额",
        "收入来源",
        "资金来源",
        "金额",
        "绩效指标",
        "部门整体绩效指标",
        "部门预算支出",
        "收入构成",
        "支出构成",
    }
)
#: Labels between a field's label and its value that only say what the value is (湖北: 财政拨款 |
#: 金额 | 52,300.00): skipped when looking for the value.
VALUE_TAGS: Final[frozenset[str]] = frozenset({"金额", "预算金额", "数额"})
#: A share printed after an amount (湖北: 占比 | 92.09%): derived from the amounts, so checked.
SHARE_LABELS: Final[frozenset[str]] = frozenset({"占比", "比例", "所占比例"})

GOAL_LABELS: Final[frozenset[str]] = frozenset(
    {
        "总体绩效目标",
        "整体绩效目标",
        "部门整体绩效目标",
        "年度绩效目标",
        "当年整体绩效目标",
        "年度总体绩效目标",
        "年度整体绩效目标",
        "部门年度绩效目标",
    }
)
#: Labels of text parts that some layouts print beside the goal → TargetTable field.
TEXT_LABELS: Final[dict[str, str]] = {
    **dict.fromkeys(("部门职能概述", "职能概述", "部门职责", "职责", "主要职能", "职能职责"), "duties"),
    **dict.fromkeys(("长期绩效目标", "中长期绩效目标", "长期目标"), "long_term_goal"),
}

TaskKindLabel = Literal["key", "other"]

TASK_SECTION_LABELS: Final[dict[str, TaskKindLabel]] = {
    "年度重点工作任务": "key",
    "年度主要工作任务": "key",
    "重点工作任务": "key",
    "年度主要任务": "key",
    "其他需完成任务": "other",
    "其他需完成的任务": "other",
    "其他需完成的任务(可选填)": "other",
    "其他需完成任务(可选填)": "other",
    "其他需要完成的任务": "other",
    "其他任务": "other",
}

#: Column headings of the task table → Task field.
TASK_COLUMNS: Final[dict[str, str]] = {
    "序号": "seq",
    "编号": "seq",
    "名称": "name",
    "任务名称": "name",
    "项目名称": "name",
    "工作任务名称": "name",
    "主要实施内容": "content",
    "实施内容": "content",
    "主要内容": "content",
    "主要工作内容": "content",
    "期望达到的目标": "expected_outcome",
    "期望达到的目标(概述)": "expected_outcome",
    "期望目标": "expected_outcome",
    "预期目标": "expected_outcome",
    "预期达到的目标": "expected_outcome",
    "拟投入金额": "amount",
    "拟投入资金": "amount",
    "拟投入的资金": "amount",
    "投入金额": "amount",
    "预算金额": "amount",
    "金额": "amount",
}

#: Column headings of the indicator table → Indicator field.
INDICATOR_COLUMNS: Final[dict[str, str]] = {
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "name",
    "三级指标名称": "name",
    "指标名称": "name",
    "三级指标解释": "explanation",
    "指标解释": "explanation",
    "指标说明": "explanation",
    "三级指标说明": "explanation",
    "指标内容": "explanation",
    "对比符号": "comparator",
    "比较符号": "comparator",
    "符号": "comparator",
    "指标性质": "comparator",
    "指标权重": "weight",
    "权重": "weight",
    "权重(分值)": "weight",
    "指标值类型": "value_type",
    "评(扣)分标准": "scoring_standard",
    "评分标准": "scoring_standard",
    "扣分标准": "scoring_standard",
    "指标值": "value",
    "目标值": "value",
    "指标值(目标值)": "value",
    "年度指标值": "value",
    "指标目标值": "value",
    "绩效指标值": "value",
    "计量单位": "unit",
    "度量单位": "unit",
    "单位": "unit",
}

#: Rows that belong to the form but carry no data: the printed filling instructions and notes.
#: Compared with the width-folded cell text (``：`` folds to ``:``).
NOTE_PREFIXES: Final[tuple[str, ...]] = ("填报要求", "填报说明", "填表说明", "注:", "备注:", "说明:")
#: Compared with label keys.
UNIT_NOTES: Final[frozenset[str]] = frozenset(
    {"单位万元", "金额单位万元", "(单位万元)", "单位元", "金额单位元", "(单位元)"}
)
#: A task row whose 序号 or 名称 is one of these is the printed sum, derived from the rows above.
TOTAL_LABELS: Final[frozenset[str]] = frozenset({"合计", "总计", "小计", "合计金额"})

#: Section labels a narrow merged cell may show cut off after its first line (in a PDF, say): a
#: cell holding a unique beginning of one is that label (``values.completed``).
#: One spelling per part, so that a beginning such as 其他需完成 is unique.
CUT_OFF_LABELS: Final[tuple[str, ...]] = (
    "年度重点工作任务",
    "年度主要工作任务",
    "重点工作任务",
    "其他需完成任务",
    "其他任务",
    "总体绩效目标",
    "整体绩效目标",
    "部门整体绩效目标",
    "年度绩效目标",
)

#: Single-cell headings that start the 绩效指标 part.
INDICATOR_HEADINGS: Final[frozenset[str]] = frozenset({"绩效指标", "部门整体绩效指标", "绩效指标表"})
#: A title holds this; text around the tables that holds one of FORM_TEXT is the form's own.
TITLE_MARKER: Final = "目标表"
#: A self-evaluation's title (部门整体支出绩效自评表) is read too: its year is the table's.
FORM_TEXT: Final[tuple[str, ...]] = (TITLE_MARKER, "绩效指标", "填报要求", "填报说明", "自评表")
#: Words after a number that make a value such as ``12月底前`` or ``3天以内`` a phrase, not number + unit.
NOT_A_UNIT_END: Final[tuple[str, ...]] = ("前", "后", "底", "内", "左右", "以上", "以下", "以内", "以前")
#: Cells that mean "nothing here" where a number is expected.
PLACEHOLDERS: Final[frozenset[str]] = frozenset({"", "-", "—", "——", "–", "/", "无", "空"})
#: A count written as ``43人``; ``无`` for a count is 0.
COUNT_SUFFIXES: Final[tuple[str, ...]] = ("人", "个", "家")
NONE_WORD: Final = "无"
AMOUNT_SUFFIXES: Final[tuple[str, ...]] = ("(万元)", "万元")

#: Column headings of either table.
HEADINGS: Final[frozenset[str]] = frozenset(TASK_COLUMNS) | frozenset(INDICATOR_COLUMNS)
#: Every label key the mapper acts on; a row with none of them is plain data.
ALL_LABELS: Final[frozenset[str]] = (
    HEADINGS
    | frozenset(FIELD_LABELS)
    | SECTION_LABELS
    | GOAL_LABELS
    | frozenset(TASK_SECTION_LABELS)
    | UNIT_NOTES
    | INDICATOR_HEADINGS
    | TOTAL_LABELS
    | frozenset(TEXT_LABELS)
    | VALUE_TAGS
    | SHARE_LABELS
)


def _field_labels(*targets: FieldTarget) -> frozenset[str]:
    return frozenset(key for key, target in FIELD_LABELS.items() if target in targets)


#: The labels that print each part some layouts lack (``jixiao.layouts.PARTS``): a part whose
#: labels a source never shows is absent from its layout, not left blank by the department.
PART_LABELS: Final[dict[str, frozenset[str]]] = {
    "staff_count": _field_labels(("department", "staff_count")),
    "subordinate_unit_count": _field_labels(("department", "subordinate_unit_count")),
    "budget": _field_labels(
        *(
            ("budget", name)
            for name in ("basic_expenditure", "project_expenditure", "fiscal_appropriation", "other_funds")
        )
    ),
    "tasks": frozenset(TASK_SECTION_LABELS),
    "levels": frozenset({"一级指标", "二级指标"}),
}
