"""Reading uploaded files in a separate, limited process.

An uploaded file is untrusted: the library already caps sizes, zip entries and spans and refuses
DTDs, but a file crafted against a parser could still spin or swell.  The reading therefore runs
in a child process (``python -m jixiao_web.uploads``) with a memory and CPU limit and a time-out,
so a bad file costs its own request and never a web worker.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Final

from jixiao.check import check_table
from jixiao.findings import ReadError, Report, unreadable
from jixiao.model import TargetTable
from jixiao.read import read_bytes

TIMEOUT_SECONDS: Final = 90
MEMORY_BYTES: Final = 3 * 1024**3


@dataclass(slots=True)
class Upload:
    """What reading an upload gave: the table (None when unreadable) and the report as JSON."""

    table: TargetTable | None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.table is not None


def _limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT_SECONDS, TIMEOUT_SECONDS + 5))


def _failed(name: str, reason: str, seconds: int) -> Upload:
    return Upload(None, Report(name, [unreadable(name, reason, seconds=seconds).finding]).to_dict())


def read_upload(name: str, data: bytes) -> Upload:
    """Read and check an uploaded file in a limited child process."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jixiao_web.uploads", name],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            preexec_fn=_limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _failed(name, "timeout", seconds=TIMEOUT_SECONDS)
    if done.returncode != 0 or not done.stdout:
        return _failed(
            name, "memory" if b"MemoryError" in done.stderr else "timeout", seconds=TIMEOUT_SECONDS
        )
    result = json.loads(done.stdout)
    table = TargetTable.model_validate(result["table"]) if result["table"] is not None else None
    return Upload(table, result["report"])


def _child(name: str) -> None:
    data = sys.stdin.buffer.read()
    try:
        read = read_bytes(data, name)
    except ReadError as error:
        out = {"table": None, "report": Report(name, [error.finding]).to_dict()}
    else:
        out = {
            "table": read.table.model_dump(mode="json"),
            "report": check_table(read.table, name, read.findings).to_dict(),
        }
    sys.stdout.write(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1] if len(sys.argv) > 1 else "<上传>")
