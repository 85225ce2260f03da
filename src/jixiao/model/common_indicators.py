"""Common 三级指标 of the national frameworks, per 二级指标, as data.

The indicator library (指标库) offers these beside the indicators of a city's own approved tables.
They follow the examples and the 指标体系 of 财预〔2015〕88号 and 财预〔2021〕101号 (and the common
indicator sets the provinces publish with them): a name, its usual 计量单位 and 对比符号.

``suggested_value`` is **a suggestion, not a fact**: it is the value the framework documents set as
a usual floor or ceiling (满意度 ≥ 90 %, 验收合格率 = 100 %), shown to the user labelled 建议值.
Typical values presented as facts come only from a city's own tables.  An empty ``suggested_value``
means there is no sensible default: the department must fill in its own figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from jixiao.model.framework import Comparator


@dataclass(frozen=True, slots=True)
class CommonIndicator:
    """One common 三级指标 of a (一级, 二级) pair."""

    level1: str
    level2: str
    name: str
    unit: str
    comparator: Comparator
    suggested_value: str = ""


_GE, _LE, _EQ, _QUAL = Comparator.GE, Comparator.LE, Comparator.EQ, Comparator.QUALITATIVE

_OUT, _COST, _BEN, _SAT = "产出指标", "成本指标", "效益指标", "满意度指标"

#: Per (一级, 二级): (name, unit, comparator, suggested value).
_TABLE: Final[dict[tuple[str, str], tuple[tuple[str, str, Comparator, str], ...]]] = {
    (_OUT, "数量指标"): (
        ("培训人次", "人次", _GE, ""),
        ("开展检查次数", "次", _GE, ""),
        ("项目完成数量", "个", _GE, ""),
        ("服务覆盖人数", "人", _GE, ""),
    ),
    (_OUT, "质量指标"): (
        ("验收合格率", "%", _EQ, "100"),
        ("任务完成率", "%", _GE, "95"),
        ("问题整改率", "%", _GE, "95"),
        ("资料归档完整率", "%", _EQ, "100"),
    ),
    (_OUT, "时效指标"): (
        ("任务完成及时率", "%", _GE, "95"),
        ("项目按期完成率", "%", _GE, "95"),
        ("资金支付及时率", "%", _GE, "95"),
    ),
    (_OUT, "成本指标"): (
        ("成本控制率", "%", _LE, "100"),
        ("项目支出控制数", "万元", _LE, ""),
        ("人均培训成本", "元", _LE, ""),
    ),
    (_COST, "经济成本指标"): (
        ("项目支出控制数", "万元", _LE, ""),
        ("成本控制率", "%", _LE, "100"),
        ("单位服务成本", "元", _LE, ""),
    ),
    (_COST, "社会成本指标"): (
        ("对社会公众的负面影响", "", _QUAL, "无"),
        ("安全责任事故发生数", "起", _EQ, "0"),
    ),
    (_COST, "生态环境成本指标"): (
        ("对生态环境的负面影响", "", _QUAL, "无"),
        ("环境污染事件发生数", "起", _EQ, "0"),
    ),
    (_BEN, "经济效益指标"): (
        ("带动社会投资", "万元", _GE, ""),
        ("节约财政资金", "万元", _GE, ""),
    ),
    (_BEN, "社会效益指标"): (
        ("群众安全感", "", _QUAL, "有效提升"),
        ("公共服务水平", "", _QUAL, "有效提升"),
        ("政策知晓率", "%", _GE, "90"),
    ),
    (_BEN, "生态效益指标"): (
        ("生态环境质量", "", _QUAL, "持续改善"),
        ("资源利用效率", "", _QUAL, "有效提升"),
    ),
    (_BEN, "可持续影响指标"): (
        ("长效管理机制建立", "", _QUAL, "建立健全"),
        ("工作机制持续运行", "年", _GE, ""),
    ),
    (_SAT, "服务对象满意度指标"): (
        ("服务对象满意度", "%", _GE, "90"),
        ("群众满意度", "%", _GE, "90"),
        ("参训人员满意度", "%", _GE, "90"),
    ),
}

#: Every common indicator, in framework order.
COMMON_INDICATORS: Final[tuple[CommonIndicator, ...]] = tuple(
    CommonIndicator(level1, level2, name, unit, comparator, value)
    for (level1, level2), rows in _TABLE.items()
    for name, unit, comparator, value in rows
)
