"""The catalogue of finding codes against the contract in ``shared/spec/RULES.md`` and the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jixiao.catalogue import CATALOGUE
from jixiao.check import CHECK_CODES, check_table
from jixiao.findings import Location, finding
from jixiao.model import TargetTable
from jixiao.read import READER_CODES
from jixiao.rules import MONITORING_RULES, SELFEVAL_RULES, TABLE_RULES

ROOT = Path(__file__).resolve().parents[1]
RULES_MD = ROOT.parent / "shared" / "spec" / "RULES.md"
CYCLE_MD = ROOT.parent / "shared" / "spec" / "CYCLE.md"


def _spec_codes(spec: Path | None = None) -> dict[str, str]:
    text = (spec or RULES_MD).read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", text, re.MULTILINE)
    return dict(rows)


@pytest.mark.skipif(not RULES_MD.exists(), reason="shared/spec is not beside this checkout")
def test_every_code_of_the_spec_is_catalogued_with_its_severity() -> None:
    spec = _spec_codes()
    assert len(spec) >= 35  # the parse found the tables
    for code, severity in spec.items():
        entry = CATALOGUE[code]
        assert (entry.fatal, entry.severity) == (
            (True, "error") if severity == "fatal" else (False, severity)
        ), code


@pytest.mark.skipif(not CYCLE_MD.exists(), reason="shared/spec is not beside this checkout")
def test_every_selfeval_code_of_cycle_md_is_a_selfeval_rule_with_its_severity() -> None:
    spec = {
        code: severity for code, severity in _spec_codes(CYCLE_MD).items() if code.startswith("selfeval-")
    }
    assert len(spec) == 14
    for code, severity in spec.items():
        assert CATALOGUE[code].severity == severity, code
    assert set(spec) <= SELFEVAL_RULES.codes


@pytest.mark.skipif(not CYCLE_MD.exists(), reason="shared/spec is not beside this checkout")
def test_every_monitor_code_of_cycle_md_is_a_monitoring_rule_with_its_severity() -> None:
    spec = {code: severity for code, severity in _spec_codes(CYCLE_MD).items() if code.startswith("monitor-")}
    assert len(spec) == 10
    for code, severity in spec.items():
        assert CATALOGUE[code].severity == severity, code
    assert set(spec) <= MONITORING_RULES.codes


def test_every_catalogued_code_is_emitted_by_a_rule_or_a_reader() -> None:
    emitted = TABLE_RULES.codes | SELFEVAL_RULES.codes | MONITORING_RULES.codes | READER_CODES | CHECK_CODES
    assert emitted == set(CATALOGUE)


def test_the_registries_keep_their_kinds_apart() -> None:
    """A self-evaluation's rules never run on a target table, nor a table's on a self-evaluation."""
    assert not TABLE_RULES.codes & SELFEVAL_RULES.codes
    assert all(code.startswith("selfeval-") for code in SELFEVAL_RULES.codes)
    assert not any(code.startswith("selfeval-") for code in TABLE_RULES.codes)
    assert {entry.kind for entry in TABLE_RULES.rules} == {"table"}
    assert {entry.kind for entry in SELFEVAL_RULES.rules} == {"selfeval"}
    assert not (TABLE_RULES.codes | SELFEVAL_RULES.codes) & MONITORING_RULES.codes
    assert all(code.startswith("monitor-") for code in MONITORING_RULES.codes)
    assert {entry.kind for entry in MONITORING_RULES.rules} == {"monitoring"}


def test_codes_added_beyond_the_spec_are_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if not RULES_MD.exists():
        return
    specified = {**_spec_codes(), **(_spec_codes(CYCLE_MD) if CYCLE_MD.exists() else {})}
    added = set(CATALOGUE) - set(specified)
    for code in added:
        assert f"`{code}`" in readme, code


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_template_names_only_figures_it_is_given(code: str) -> None:
    fields = set(re.findall(r"{(\w+)}", CATALOGUE[code].template))
    made = finding(code, Location(), **dict.fromkeys(fields, "X"))
    assert "{" not in made.message
    assert made.message.strip()


def test_findings_come_in_the_order_of_the_form(seed_table: TargetTable) -> None:
    report = check_table(
        seed_table.model_copy(update={"department": seed_table.department.model_copy(update={"name": ""})})
    )
    sections = [f.location.section for f in report.findings]
    order = ["department", "budget", "overall_goal", "indicators"]
    assert [s for s in dict.fromkeys(sections) if s in order] == order


def test_every_selfeval_code_is_in_the_readmes_selfeval_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### 自评的发现代码") :]
    for code in SELFEVAL_RULES.codes:
        assert f"| `{code}` |" in table, code


def test_every_monitor_code_is_in_the_readmes_monitoring_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### 运行监控的发现代码") :]
    for code in MONITORING_RULES.codes:
        assert f"| `{code}` |" in table, code
