"""The indicator library's pure part: names grouped, uses summed up, suggestions ranked."""

from __future__ import annotations

from decimal import Decimal

from jixiao.library import (
    LibraryIndex,
    LibraryItem,
    ValueRange,
    indicator_key,
    similarity,
    summarise,
)
from jixiao.model.common_indicators import COMMON_INDICATORS
from jixiao.model.framework import VALID_PAIRS, Comparator


def item(pk: int, name: str, level2: str, usage: int = 1, level1: str = "", **extra: object) -> LibraryItem:
    owner = level1 or next(l1 for l1, l2 in VALID_PAIRS if l2 == level2)
    fields: dict[str, object] = {
        "id": pk,
        "level1": owner,
        "level2": level2,
        "name": name,
        "unit": "%",
        "comparator": "≥",
        "value": "90",
        "value_is_suggestion": False,
        "usage": usage,
        "department_count": usage,
        **extra,
    }
    return LibraryItem(**fields)  # type: ignore[arg-type]


def test_names_that_mean_the_same_indicator_share_a_key() -> None:
    assert indicator_key(" 服务对象 满意度 ") == indicator_key("服务对象满意度") == "服务对象满意度"
    assert indicator_key("服务对象满意度≥90%") == "服务对象满意度"
    assert indicator_key("服务对象满意度（％）") == indicator_key("服务对象满意度(%)")
    assert indicator_key("培训ＰＰＴ数量。") == "培训ppt数量"


def test_similarity_prefers_a_prefix_then_a_substring_then_shared_bigrams() -> None:
    assert similarity("服务", "服务对象满意度") == 1.0
    assert similarity("满意度", "服务对象满意度") == 0.85
    weak = similarity("群众满意", "服务对象满意度")
    assert 0.25 <= weak < 0.85
    assert similarity("资金", "服务对象满意度") == 0.0
    assert similarity("", "服务对象满意度") == 0.0


def test_summary_counts_units_comparators_and_ranges_and_takes_the_median() -> None:
    summary = summarise(
        [
            ("%", "≥", "90"),
            ("％", ">=", "95"),
            ("%", "大于等于", "１００"),
            ("%", "≥", "85%"),
            ("分", "≥", "80"),
            ("", "定性", "显著提升"),
        ]
    )
    assert summary.usage == 6
    assert summary.units == {"%": 4, "分": 1, "": 1}
    assert summary.comparators == {"≥": 5, "定性": 1}
    assert summary.ranges["%"] == ValueRange(4, Decimal(85), Decimal("92.5"), Decimal(100))
    assert (summary.unit, summary.comparator, summary.value) == ("%", "≥", "92.5")


def test_summary_of_qualitative_uses_offers_the_most_common_words() -> None:
    summary = summarise([("", "定性", "有效提升"), ("", "定性", "显著提升"), ("", "定性", "有效提升")])
    assert (summary.unit, summary.comparator, summary.value) == ("", "定性", "有效提升")
    assert summary.ranges == {}


def test_suggestions_rank_by_level2_fit_text_and_usage() -> None:
    index = LibraryIndex(
        [
            item(1, "服务对象满意度", "服务对象满意度指标", usage=30),
            item(2, "群众满意度", "服务对象满意度指标", usage=3),
            item(3, "满意度调查次数", "数量指标", usage=40),
            item(4, "验收合格率", "质量指标", usage=50),
        ]
    )
    names = [s.item.name for s in index.suggest("满意", level2="服务对象满意度指标")]
    assert names == ["服务对象满意度", "群众满意度", "满意度调查次数"]
    # The same text under 数量指标: the 数量 entry fits best.
    assert index.suggest("满意", level2="数量指标")[0].item.name == "满意度调查次数"
    # A prefix beats a mere substring at equal fit and usage.
    index = LibraryIndex([item(1, "任务完成及时率", "时效指标"), item(2, "年度任务完成率", "时效指标")])
    assert [s.item.id for s in index.suggest("任务", level2="时效指标")] == [1, 2]


def test_nothing_typed_offers_the_rows_level2_most_used_first() -> None:
    index = LibraryIndex(
        [
            item(1, "验收合格率", "质量指标", usage=5),
            item(2, "整改完成率", "质量指标", usage=20),
            item(3, "培训人次", "数量指标", usage=90),
        ]
    )
    assert [s.item.id for s in index.suggest("", level2="质量指标")] == [2, 1]
    assert index.suggest("无关的文字", level2="质量指标") == []


def test_recommended_come_first_and_discouraged_last_with_their_note() -> None:
    index = LibraryIndex(
        [
            item(1, "资金到位率", "数量指标", usage=60, mark="discouraged", note="资金到位是投入，不是产出"),
            item(2, "资金支付进度", "数量指标", usage=5),
            item(3, "资金使用合规率", "数量指标", usage=1, mark="recommended"),
        ]
    )
    ranked = index.suggest("资金", level2="数量指标")
    assert [s.item.id for s in ranked] == [3, 2, 1]
    assert ranked[-1].item.note == "资金到位是投入，不是产出"


def test_limit_and_single_character_queries() -> None:
    index = LibraryIndex([item(n, f"第{n}项培训人次", "数量指标", usage=n) for n in range(1, 30)])
    assert len(index.suggest("培", level2="数量指标", limit=5)) == 5
    assert index.suggest("培", level2="数量指标", limit=5)[0].item.usage == 29


def test_common_indicators_are_valid_framework_rows_with_usual_units() -> None:
    assert len(COMMON_INDICATORS) >= 30
    for common in COMMON_INDICATORS:
        assert (common.level1, common.level2) in VALID_PAIRS, common
        assert common.name
        assert indicator_key(common.name) == common.name
        if common.comparator is Comparator.QUALITATIVE:
            assert common.unit == ""
        if common.unit == "%" and common.suggested_value:
            assert Decimal(0) < Decimal(common.suggested_value) <= Decimal(100)
    # The two checks above looked at some rows each.
    assert any(c.comparator is Comparator.QUALITATIVE for c in COMMON_INDICATORS)
    assert any(c.unit == "%" and c.suggested_value for c in COMMON_INDICATORS)
    satisfaction = [c for c in COMMON_INDICATORS if c.level1 == "满意度指标"]
    assert ("服务对象满意度", "%", Comparator.GE, "90") in {
        (c.name, c.unit, c.comparator, c.suggested_value) for c in satisfaction
    }
    pairs = {(c.level1, c.level2) for c in COMMON_INDICATORS}
    assert pairs == VALID_PAIRS - {("满意度指标", "社会公众或服务对象满意度指标")}


def test_the_index_scores_text_as_similarity_defines_it() -> None:
    names = [
        "服务对象满意度",
        "群众满意度",
        "参训人员满意度",
        "满意度调查次数",
        "任务完成及时率",
        "验收合格率",
    ]
    index = LibraryIndex([item(n, name, "服务对象满意度指标") for n, name in enumerate(names)])
    for typed in ("满", "满意", "服务对", "群众满意", "调查", "完成及时", "合格率", "人员满意度高"):
        found = {s.item.name: s.similarity for s in index.suggest(typed, limit=50)}
        expected = {name: similarity(typed, name) for name in names if similarity(typed, name) >= 0.25}
        assert found == expected, typed
