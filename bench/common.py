"""What the benchmarks share: where the repository is, and where figures are written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed.txt"


def save(name: str, results: dict[str, object]) -> Path:
    """Write the figures of one benchmark to ``bench/out/NAME.json``."""
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def microseconds_per_call(steps: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Each step's mean time per call in microseconds, run ``repeat`` times in this process."""
    out = {}
    for name, step in steps.items():
        started = time.perf_counter()
        for _ in range(repeat):
            step()
        out[name] = (time.perf_counter() - started) / repeat * 1e6
    return out
