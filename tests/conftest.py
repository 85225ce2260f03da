from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from jixiao.model import TargetTable

FIXTURES = Path(__file__).parent / "fixtures"
SEED_TXT = FIXTURES / "seed.txt"
SEED_EXPECTED = FIXTURES / "seed.expected.json"


def seed_expected() -> dict[str, Any]:
    """The seed's canonical JSON as a fresh dict (tests may change it)."""
    return copy.deepcopy(_SEED_JSON)


_SEED_JSON: dict[str, Any] = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture
def seed_table() -> TargetTable:
    return TargetTable.model_validate(seed_expected())
