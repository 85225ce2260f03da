"""Issue 9, item 2: nothing in the data dir is readable by other users of the machine."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from .conftest import JIXIAO_CLI, child_env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _wide_umask() -> None:
    os.umask(0o022)


def test_settings_and_the_database_make_everything_private_whatever_the_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    probe = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"
    subprocess.run(
        [sys.executable, "-c", probe], env=child_env(data_dir), check=True, preexec_fn=_wide_umask, timeout=60
    )
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "static") == 0o700
    for name in ("secret_key", "audit_key", "jixiao.sqlite3"):
        assert _mode(data_dir / name) == 0o600, name


def test_stored_files_are_private() -> None:
    from django.conf import settings

    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_repairs_a_data_dir_others_can_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = child_env(data_dir)
    migrate = [sys.executable, "-c", JIXIAO_CLI, "manage", "migrate", "-v0", "--data-dir", str(data_dir)]
    subprocess.run(migrate, env=env, check=True, timeout=120)
    database = data_dir / "jixiao.sqlite3"
    (data_dir / "media" / "exports").mkdir(parents=True)
    stored = data_dir / "media" / "exports" / "old.pdf"
    stored.write_bytes(b"%PDF-")
    for path, mode in ((data_dir, 0o755), (database, 0o644), (data_dir / "media", 0o755), (stored, 0o644)):
        path.chmod(mode)
    port = _free_port()
    serve = [sys.executable, "-c", JIXIAO_CLI, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    process = subprocess.Popen(
        serve, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        assert process.stdout is not None
        said = ""
        deadline = time.monotonic() + 60
        while "jixiao 网页系统" not in said and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            said += line
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert "权限过宽" in said, said
    assert _mode(data_dir) == 0o700
    assert _mode(database) == 0o600
    assert _mode(data_dir / "media") == 0o700
    assert _mode(stored) == 0o600
