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
from jixiao.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
RULES_MD = ROOT.parent / "shared" / "spec" / "RULES.md"


def _spec_codes() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", RULES_MD.read_text(encoding="utf-8"), re.MULTILINE)
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


def test_every_catalogued_code_is_emitted_by_a_rule_or_a_reader() -> None:
    emitted = {code for entry in RULES for code in entry.codes} | READER_CODES | CHECK_CODES
    assert emitted == set(CATALOGUE)


def test_codes_added_beyond_the_spec_are_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    added = set(CATALOGUE) - set(_spec_codes()) if RULES_MD.exists() else set()
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
