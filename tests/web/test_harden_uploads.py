"""Issue 9, item 3: nobody can stall the site by uploading.  Files read at once are bounded per
person and for all; a reader whose request worker died is ended and its folder removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hostile_pdf import crafted_pdf
from jixiao_web.models import User
from jixiao_web.uploads import TooManyUploads, readers_folder, reading_slot, sweep

from .conftest import SEED

pytestmark = pytest.mark.django_db


def _upload(client: Client) -> int:
    posted = {"year": "2024", "file": SimpleUploadedFile("seed.txt", SEED.read_bytes())}
    return int(client.post(reverse("filing-upload"), posted).status_code)


def test_one_person_reads_one_file_at_a_time_and_all_together_a_few(
    people: dict[str, User], login: Callable[[User], Client], settings: object
) -> None:
    """The API still reads in the request (its answer is the reading): slots per person and for
    the site.  (The pages queue the file for the worker instead: test_queue.)"""
    settings.UPLOAD_READERS = 2  # type: ignore[attr-defined]

    def api(user: User) -> tuple[int, str]:
        answer = login(user).post("/api/validate", {"file": SimpleUploadedFile("a.txt", b"x")})
        return answer.status_code, answer.json().get("code", "")

    with reading_slot(people["filer"]):  # the filer's first file is being read
        assert api(people["filer"]) == (429, "too-many-uploads")
        assert api(people["head"])[0] == 200  # someone else is not held up
        with reading_slot(people["head"]):  # now both slots of the site are taken
            assert api(people["other_filer"]) == (429, "too-many-uploads")
    assert api(people["filer"])[0] == 200  # slots are given back
    assert _upload(login(people["filer"])) == 200  # the page: read (here at once: JOBS_INLINE)


def test_slots_are_given_back_when_reading_fails(people: dict[str, User], settings: object) -> None:
    settings.UPLOAD_READERS = 1  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), reading_slot(people["filer"]):
        raise RuntimeError
    with reading_slot(people["head"]), pytest.raises(TooManyUploads):  # noqa: SIM117
        with reading_slot(people["other_filer"]):
            pass


WORKER = """
import sys
from jixiao_web.uploads import read_upload
read_upload("slow.pdf", open(sys.argv[1], "rb").read())
"""


def _readers(folder: Path) -> list[Path]:
    return sorted(folder.glob("jixiao-upload-*"))


def test_a_reader_whose_worker_died_is_ended_and_its_folder_removed(tmp_path: Path) -> None:
    # A real file that takes seconds to read: just inside the PDF reader's character budget.
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(crafted_pdf(pages=4, per_page=9_750))
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(slow)], env=env)
    folder = tmp_path / f"jixiao-readers-{os.getuid()}"
    deadline = time.monotonic() + 30
    while not (_readers(folder) and any((home / "owner").exists() for home in _readers(folder))):
        assert time.monotonic() < deadline, "no reader started"
        assert worker.poll() is None
        time.sleep(0.05)
    (home,) = _readers(folder)
    time.sleep(0.5)  # the reader is running (reading the file)
    reader = _reader_of(home)
    assert reader is not None
    worker.send_signal(signal.SIGKILL)  # as gunicorn ends a worker that took too long
    worker.wait()
    deadline = time.monotonic() + 10
    while _alive(reader):  # the kernel tells the reader its worker died
        assert time.monotonic() < deadline, "the reader outlived its worker"
        time.sleep(0.05)
    # The reader removes its folder itself once it has started; gunicorn's new worker sweeps
    # (wsgi.py) whatever a reader killed while starting left behind.
    if home.exists():
        subprocess.run(
            [sys.executable, "-c", "from jixiao_web.uploads import sweep; sweep()"], env=env, check=True
        )
    assert not home.exists()


def _reader_of(home: Path) -> int | None:
    from jixiao_web.uploads import _processes_of

    found = _processes_of(home)
    return found[0] if found else None


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except OSError:
        return False
    return status != "Z"


def test_sweep_removes_the_folders_of_dead_workers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = readers_folder()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = folder / "jixiao-upload-left"
    left.mkdir()
    (left / "owner").write_text(str(dead.pid))
    (left / "upload.tmp").write_bytes(b"x")
    living = folder / "jixiao-upload-living"
    living.mkdir()
    (living / "owner").write_text(str(os.getpid()))
    assert sweep() == [left]
    assert not left.exists()
    assert living.exists()
