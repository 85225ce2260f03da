"""Reading uploaded files in a separate, limited process.

An uploaded file is untrusted: the library already caps sizes, zip entries and spans and refuses
DTDs, but a file crafted against a parser could still spin or swell.  The reading therefore runs
in a child process (``python -m jixiao_web.uploads``) with a memory and CPU limit and a time-out,
so a bad file costs its own request and never a web worker.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from jixiao.check import check_table
from jixiao.findings import ReadError, Report, unreadable
from jixiao.model import TargetTable
from jixiao.read import read_bytes

if TYPE_CHECKING:
    from jixiao_web.models import User

#: Longer than the library's own LibreOffice time-out for a .doc (``jixiao.read.ole``), so that its
#: clearer message wins.
TIMEOUT_SECONDS: Final = 90
MEMORY_BYTES: Final = 3 * 1024**3
FILE_BYTES: Final = 256 * 1024**2
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Upload:
    """What reading an upload gave: the table (None when unreadable) and the report as JSON."""

    table: TargetTable | None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.table is not None


#: Files one person may have read per minute: each takes a worker for up to TIMEOUT_SECONDS.
UPLOADS_PER_MINUTE: Final = 10


class TooLarge(Exception):
    """An upload over ``settings.UPLOAD_MAX_BYTES``; the message says so in Chinese."""


def read_limited(uploaded: Any) -> bytes:
    """The bytes of an uploaded file (Django's ``UploadedFile``), refused over the size limit —
    by its declared size, and by what it really holds."""
    from django.conf import settings  # not in the reading child, which runs without Django

    limit = settings.UPLOAD_MAX_BYTES
    size = f"{limit // 1024 // 1024} MB" if limit >= 1024 * 1024 else f"{limit} 字节"
    refusal = TooLarge(f"文件“{uploaded.name or '上传文件'}”超过 {size}，拒绝读取。")
    if uploaded.size is not None and uploaded.size > limit:
        raise refusal
    data: bytes = uploaded.read(limit + 1)
    if len(data) > limit:
        raise refusal
    return data


class TooManyUploads(Exception):
    """Someone is sending files faster than :data:`UPLOADS_PER_MINUTE`."""


def admit(user: User) -> None:
    """Count one upload for ``user``, or refuse it when they have had their share this minute."""
    # Imported here: the reading child runs this module without Django.
    from django.utils import timezone

    from jixiao_web.models import UploadAttempt

    since = timezone.now() - timedelta(minutes=1)
    UploadAttempt.objects.filter(at__lt=since).delete()
    if UploadAttempt.objects.filter(user=user, at__gte=since).count() >= UPLOADS_PER_MINUTE:
        raise TooManyUploads(f"上传过于频繁：每分钟最多读取 {UPLOADS_PER_MINUTE} 个文件，请稍后再试。")
    UploadAttempt.objects.create(user=user)


def _limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT_SECONDS, TIMEOUT_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def _failed(name: str, reason: str, **figures: object) -> Upload:
    return Upload(
        None, Report(name, [unreadable(name, reason, "file-unreadable", **figures).finding]).to_dict()
    )


def _environment(home: str) -> dict[str, str]:
    """Only what reading needs: no database address, no secrets of the web process."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, "HOME": home, "TMPDIR": home}


def read_upload(name: str, data: bytes) -> Upload:
    """Read and check an uploaded file in a limited child process of its own session, so that a
    time-out stops it and anything it started (LibreOffice for a .doc)."""
    with tempfile.TemporaryDirectory(prefix="jixiao-upload-") as home:
        child = subprocess.Popen(
            [sys.executable, "-m", "jixiao_web.uploads", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_limit,
            start_new_session=True,
            env=_environment(home),
            cwd=home,
        )
        try:
            stdout, stderr = child.communicate(data, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return _failed(name, "timeout", seconds=TIMEOUT_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)  # whatever it left running
    if child.returncode == 0 and stdout:
        result = json.loads(stdout)
        table = TargetTable.model_validate(result["table"]) if result["table"] is not None else None
        return Upload(table, result["report"])
    log.warning(
        "reading upload %r failed (exit %s): %s",
        name,
        child.returncode,
        stderr[-4000:].decode(errors="replace"),
    )
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return _failed(name, "timeout", seconds=TIMEOUT_SECONDS)
    if b"MemoryError" in stderr:
        return _failed(name, "memory")
    last = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"退出码 {child.returncode}"]
    return _failed(name, "internal", error=last[0][:200])


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
