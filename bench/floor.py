"""The floor for ``jixiao check --json``: only read each file, split it into cells and dump them.

Usage: ``python bench/floor.py FOLDER`` (writes one JSON line per file to standard output).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(folder: str) -> None:
    out = sys.stdout
    for path in sorted(Path(folder).rglob("*.txt")):
        text = path.read_bytes().decode("utf-8")
        cells = [line.split("\t") for line in text.splitlines()]
        out.write(json.dumps({"source": str(path), "cells": cells}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
