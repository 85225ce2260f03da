"""Properties of readers and writers: round trips, and no input ever crashes a reader."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEED_TXT
from jixiao.check import check_bytes
from jixiao.findings import ReadError
from jixiao.model import TargetTable
from jixiao.read import read_bytes
from jixiao.write import write_bytes
from strategies import tables

SEED_LINES = SEED_TXT.read_text(encoding="utf-8").split("\n")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tables())
def test_text_round_trip(table: TargetTable) -> None:
    assert read_bytes(write_bytes(table, ".txt"), "t.txt").table == table


@SETTINGS
@given(tables())
def test_json_round_trip(table: TargetTable) -> None:
    assert read_bytes(write_bytes(table, ".json"), "t.json").table == table


@SETTINGS
@given(tables())
def test_our_own_text_reads_without_findings_but_a_missing_year(table: TargetTable) -> None:
    findings = read_bytes(write_bytes(table, ".txt"), "t.txt").findings
    assert [f.code for f in findings] == ([] if table.year else ["year-missing"])


def _read_or_clean_error(data: bytes, name: str) -> None:
    """Reading either succeeds or raises ReadError with a message; anything else fails the test."""
    try:
        read_bytes(data, name)
    except ReadError as error:
        message = error.finding.message
        assert message


@SETTINGS
@given(st.binary(max_size=4096), st.sampled_from(["x.txt", "x.json", "x", "x.xlsx"]))
def test_no_byte_string_crashes_a_reader(data: bytes, name: str) -> None:
    _read_or_clean_error(data, name)


@SETTINGS
@given(st.text(max_size=2000))
def test_no_text_crashes_a_reader(text: str) -> None:
    _read_or_clean_error(text.encode(), "x.txt")
    _read_or_clean_error(text.encode("utf-16"), "x.txt")


@SETTINGS
@given(
    st.lists(st.sampled_from(range(len(SEED_LINES))), max_size=60),
    st.lists(st.text(alphabet="\t|#<>&：:０１2一级指标序号名称金额万元%≥", max_size=12), max_size=12),
)
def test_no_shuffle_of_the_seed_crashes_checking(order: list[int], noise: list[str]) -> None:
    lines = [SEED_LINES[i] for i in order]
    for position, text in enumerate(noise):
        lines.insert(position * 3 % (len(lines) + 1), text)
    report = check_bytes("\n".join(lines).encode(), "x.txt")
    assert all(f.message for f in report.findings)
