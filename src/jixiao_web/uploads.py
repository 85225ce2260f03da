"""Reading uploaded files in a separate, limited process.

An uploaded file is untrusted: the library already caps sizes, zip entries and spans and refuses
DTDs, but a file crafted against a parser could still spin or swell.  The reading therefore runs
in a child process (``python -m jixiao_web.uploads``) with a memory and CPU limit and a time-out,
at a lower CPU priority than the web workers, so a bad file costs its own request.

The pages no longer wait for the child: ``jixiao worker`` reads the file (:mod:`jixiao_web.jobs`).
The API's ``/api/validate`` still answers with the reading itself and so holds a web worker while
its child runs: :func:`reading_slot` bounds how many files it reads at once, by one person and by
everyone together (lock files in the data dir, shared by every gunicorn worker), so that workers
stay free for everyone else.  A child whose request worker died (gunicorn killed it) gets SIGTERM from the
kernel, ends whatever it started and removes its folder; :func:`sweep` removes what is left over.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jixiao.check import check_table
from jixiao.findings import Location, ReadError, Report, unreadable
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


#: Files one person may have read at the same time.
READERS_PER_PERSON: Final = 1
#: How far below the web workers' CPU priority a reader runs.
READER_NICENESS: Final = 10
_PR_SET_PDEATHSIG: Final = 1
#: The environment variable that names a reader's folder (found again in /proc by :func:`sweep`).
_HOME_VARIABLE: Final = "JIXIAO_READER_HOME"


@contextlib.contextmanager
def reading_slot(user: Any) -> Iterator[None]:
    """Hold one of the slots for reading a file, for ``user`` and for the site, or refuse with
    :class:`TooManyUploads`.  The slots are ``flock`` locks on files in the data dir: every gunicorn
    worker of this machine sees them, and a worker that dies lets go of its own."""
    from django.conf import settings  # not in the reading child, which runs without Django

    folder = Path(settings.DATA_DIR) / "reading-slots"
    if not folder.is_dir():
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    held: list[int] = []
    try:
        if not _lock_one(folder, [f"user-{user.pk}-{n}" for n in range(READERS_PER_PERSON)], held):
            raise TooManyUploads("您已有文件正在读取，请等它读完再上传下一个。")
        if not _lock_one(folder, [f"site-{n}" for n in range(settings.UPLOAD_READERS)], held):
            raise TooManyUploads("此刻正在读取的文件较多，请稍等片刻再上传。")
        yield
    finally:
        for fd in held:
            os.close(fd)  # closing lets go of the lock


def _lock_one(folder: Path, names: list[str], held: list[int]) -> bool:
    for name in names:
        fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        held.append(fd)
        return True
    return False


def readers_folder() -> Path:
    """Where readers' folders are made: this OS user's own, in the temporary directory."""
    folder = Path(tempfile.gettempdir()) / f"jixiao-readers-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)
    status = folder.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid() or status.st_mode & 0o077:
        # Someone else made it (or a link): never read uploads where another user can reach them.
        log.warning("%s is not this user's private folder: readers use a folder of their own", folder)
        return Path(tempfile.mkdtemp(prefix="jixiao-readers-"))
    return folder


def sweep() -> list[Path]:
    """End the readers whose request worker died, and remove their folders; the folders removed.

    A folder names the worker that made it (``owner``); its reader and anything the reader started
    are found by the folder named in their environment, never by a process id that may be reused.
    """
    removed = []
    for home in readers_folder().glob("jixiao-upload-*"):
        try:
            owner = int((home / "owner").read_text())
        except (OSError, ValueError):
            continue  # being made right now
        if _alive(owner):
            continue
        for pid in _processes_of(home):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)
        removed.append(home)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _processes_of(home: Path) -> list[int]:
    marker = f"{_HOME_VARIABLE}={home}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _limit() -> None:  # runs in the child before exec
    # Dies with the request's worker (the kernel sends SIGTERM; the child then cleans up).
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    os.nice(READER_NICENESS)
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
    kept = {k: os.environ[k] for k in keep if k in os.environ}
    return {**kept, "HOME": home, "TMPDIR": home, _HOME_VARIABLE: home}


@dataclass(frozen=True, slots=True)
class ChildResult:
    """How a limited child ended: its exit code (None: timed out), what it wrote."""

    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""


def run_limited(args: list[str], data: bytes) -> ChildResult:
    """Run ``python -m jixiao_web.uploads ARGS`` in a limited child process of its own session
    with ``data`` on its input, so that a time-out stops it and anything it started."""
    sweep()
    with tempfile.TemporaryDirectory(prefix="jixiao-upload-", dir=readers_folder()) as home:
        (Path(home) / "owner").write_text(str(os.getpid()))
        child = subprocess.Popen(
            [sys.executable, "-m", "jixiao_web.uploads", *args],
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
            return ChildResult(None)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)  # whatever it left running
    return ChildResult(child.returncode, stdout, stderr)


def read_upload(name: str, data: bytes) -> Upload:
    """Read and check an uploaded file in a limited child process (:func:`run_limited`): a
    time-out stops it and anything it started (LibreOffice for a .doc)."""
    child = run_limited([name], data)
    if child.returncode is None:
        return _failed(name, "timeout", seconds=TIMEOUT_SECONDS)
    stdout, stderr = child.stdout, child.stderr
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
    return _failed(name, "internal")  # what went wrong is in the log above, not for the user


def _orphaned(signum: int, frame: object) -> None:
    """The request's worker died: end what this reader started, remove its folder, and go."""
    home = os.environ.get(_HOME_VARIABLE)
    if home:
        shutil.rmtree(home, ignore_errors=True)
    os.killpg(os.getpgrp(), signal.SIGKILL)  # this reader and whatever it started (LibreOffice)


def _child(name: str) -> None:
    signal.signal(signal.SIGTERM, _orphaned)
    with contextlib.suppress(OSError, ValueError):
        if os.getppid() != int(Path("owner").read_text()):  # the worker died before prctl took hold
            _orphaned(signal.SIGTERM, None)
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


@dataclass(slots=True)
class DocumentUpload:
    """What reading a filled self-evaluation or monitoring report gave: its JSON (None when
    unreadable or of another kind), what the file turned out to be, and the report."""

    document: dict[str, Any] | None
    report: dict[str, Any] = field(default_factory=dict)
    #: ``selfeval``, ``monitoring``, ``table`` (a target table), or "" when unreadable.
    found: str = ""


def read_document_upload(kind: str, name: str, data: bytes, profile: dict[str, Any]) -> DocumentUpload:
    """Read and check a filled document of ``kind`` (``selfeval`` or ``monitoring``, any format the
    library reads) in the limited child process, judged by ``profile`` (a profile's JSON).  A file
    of another kind gives no document, and says what it is (``found``)."""
    child = run_limited(["--document", kind, name, json.dumps(profile, ensure_ascii=False)], data)
    if child.returncode is None:
        return DocumentUpload(None, _failed(name, "timeout", seconds=TIMEOUT_SECONDS).report)
    if child.returncode == 0 and child.stdout:
        result = json.loads(child.stdout)
        return DocumentUpload(result["document"], result["report"], result["found"])
    log.warning("reading %s upload %r failed (exit %s)", kind, name, child.returncode)
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return DocumentUpload(None, _failed(name, "timeout", seconds=TIMEOUT_SECONDS).report)
    if b"MemoryError" in child.stderr:
        return DocumentUpload(None, _failed(name, "memory").report)
    return DocumentUpload(None, _failed(name, "internal").report)


def _document_child(kind: str, name: str, profile_json: str) -> None:
    """A filled 自评表 or 监控表 read and checked (no Django here either)."""
    from pydantic import BaseModel

    from jixiao.check import check_monitoring, check_selfeval
    from jixiao.profile import Profile
    from jixiao.read.document import read_document
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult

    signal.signal(signal.SIGTERM, _orphaned)
    with contextlib.suppress(OSError, ValueError):
        if os.getppid() != int(Path("owner").read_text()):
            _orphaned(signal.SIGTERM, None)
    profile = Profile.model_validate_json(profile_json)
    data = sys.stdin.buffer.read()
    out: dict[str, Any]
    try:
        read = read_document(data, name, profile)
    except ReadError as error:
        fatal = error.finding
        if fatal.code == "not-a-target-table":  # nothing jixiao knows: say it is not what was asked for
            why = {"why": "未找到监控表的栏目"} if kind == "monitoring" else {}
            fatal = ReadError(f"not-a-{kind}", Location("file"), source=name, **why).finding
        out = {"document": None, "found": "", "report": Report(name, [fatal]).to_dict()}
    else:
        document: BaseModel | None
        if isinstance(read, SelfevalReadResult):
            found, document = "selfeval", read.evaluation
            report = check_selfeval(read.evaluation, profile, name, read.findings)
        elif isinstance(read, MonitoringReadResult):
            found, document = "monitoring", read.report
            report = check_monitoring(read.report, profile, name, read.findings)
        else:
            found, document, report = "table", None, Report(name, list(read.findings))
        out = {
            "document": document.model_dump(mode="json") if document is not None and found == kind else None,
            "found": found,
            "report": report.to_dict() if found == kind else Report(name, []).to_dict(),
        }
    sys.stdout.write(json.dumps(out, ensure_ascii=False))


def _evidence_child(name: str) -> None:
    """selfeval: what an evidence file is, by its content (``jixiao_web.evidence.sniff``)."""
    from jixiao_web.evidence import sniff  # no Django: it reads bytes only

    signal.signal(signal.SIGTERM, _orphaned)
    data = sys.stdin.buffer.read()
    kind, problem = sniff(name, data)
    sys.stdout.write(json.dumps({"kind": kind, "problem": problem}, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--evidence":
        _evidence_child(sys.argv[2])
    elif len(sys.argv) > 4 and sys.argv[1] == "--document":
        _document_child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        _child(sys.argv[1] if len(sys.argv) > 1 else "<上传>")
