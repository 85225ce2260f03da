"""The web system's commands: ``jixiao manage`` (the first administrator of a new installation)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import run_jixiao


def _jixiao(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_jixiao(data_dir, *args, DJANGO_SUPERUSER_PASSWORD="a-long-and-secret-passphrase")


def test_first_superuser_is_an_administrator(tmp_path: Path) -> None:
    assert _jixiao(tmp_path, "manage", "migrate", "-v0").returncode == 0
    made = _jixiao(
        tmp_path, "manage", "createsuperuser", "--noinput", "--username", "boss", "--email", "b@example.cn"
    )
    assert made.returncode == 0, made.stderr
    probe = (
        "import django; django.setup(); from jixiao_web.models import User;"
        "u = User.objects.get(username='boss'); print(u.role, u.is_superuser, u.password.startswith('pbkdf2_'))"
    )
    env = {**os.environ, "JIXIAO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "jixiao_web.settings"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["admin", "True", "True"]
    assert _jixiao(tmp_path, "audit", "verify").returncode == 0


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIXIAO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="jixiao_web.settings")
    done = subprocess.run(
        [sys.executable, "-m", "django", "makemigrations", "--check", "--dry-run", "jixiao_web"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_serve_says_in_chinese_what_is_wrong_with_its_data_dir_or_port(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _jixiao(blocker / "data", "serve")
    assert done.returncode == 2
    assert "无法使用数据目录" in done.stderr
    assert "Traceback" not in done.stderr
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = _jixiao(tmp_path / "data", "serve", "--port", port)
    assert done.returncode == 2
    assert "已被占用" in done.stderr
