"""ops: several nodes, one database: keys from the environment (or files it names), the same on every
node; each node verifies the chain the others wrote; a node with another key says so and writes
nothing.  Each node is a process of its own with its own data dir, on a PostgreSQL database made here."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import JIXIAO_CLI, child_env, run_jixiao

#: A node's work: apply the migrations (once), append an audit entry in its name, or ask its own
#: /healthz and /readyz (through Django's test client, in that process).
NODE = """
import json, sys
import django
django.setup()
from django.test import Client
what = sys.argv[1]
if what == "migrate":
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
elif what == "record":
    from jixiao_web import audit
    from jixiao_web.models import AuditAction
    try:
        audit.record(audit.Actor(None, name=sys.argv[2]), AuditAction.LIBRARY_REBUILD, target=sys.argv[2])
    except audit.WrongAuditKey as error:
        print(error, file=sys.stderr)
        sys.exit(3)
else:
    for path in ("/healthz", "/readyz"):
        response = Client(HTTP_HOST="127.0.0.1").get(path)
        print(json.dumps({"path": path, "code": response.status_code, **response.json()}))
"""


@pytest.fixture
def shared_database(fresh_postgres: Callable[[], str]) -> str:
    return fresh_postgres()


def _key() -> str:
    return secrets.token_urlsafe(48)


def node(data_dir: Path, database: str, *args: str, **keys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NODE, *args],
        capture_output=True,
        text=True,
        env=child_env(data_dir, DATABASE_URL=database, **keys),
        check=False,
    )


def test_nodes_with_the_same_keys_verify_each_others_chain(tmp_path: Path, shared_database: str) -> None:
    keys = {"JIXIAO_SECRET_KEY": _key(), "JIXIAO_AUDIT_KEY": _key()}
    a, b = tmp_path / "node-a", tmp_path / "node-b"
    assert node(a, shared_database, "migrate", **keys).returncode == 0
    for data_dir, name in ((a, "节点A"), (b, "节点B"), (a, "节点A"), (b, "节点B")):
        done = node(data_dir, shared_database, "record", name, **keys)
        assert done.returncode == 0, done.stderr
    for data_dir in (a, b):
        done = run_jixiao(data_dir, "audit", "verify", DATABASE_URL=shared_database, **keys)
        assert done.returncode == 0, done.stderr
        assert "共 4 条，哈希链无断裂" in done.stdout
        # The keys came from the environment: no node made keys of its own.
        assert not (data_dir / "audit_key").exists()
        assert not (data_dir / "secret_key").exists()
    # A key in a file the environment names (a mounted secret) serves as well.
    (tmp_path / "audit.key").write_text(keys["JIXIAO_AUDIT_KEY"] + "\n")
    by_file = {
        "JIXIAO_SECRET_KEY": keys["JIXIAO_SECRET_KEY"],
        "JIXIAO_AUDIT_KEY_FILE": str(tmp_path / "audit.key"),
    }
    done = run_jixiao(tmp_path / "node-c", "audit", "verify", DATABASE_URL=shared_database, **by_file)
    assert done.returncode == 0, done.stderr
    ready = node(tmp_path / "node-c", shared_database, "probe", **by_file)
    assert '"code": 200' in ready.stdout.splitlines()[1], ready.stdout + ready.stderr


def test_a_node_with_another_key_fails_verification_clearly_and_writes_nothing(
    tmp_path: Path, shared_database: str
) -> None:
    keys = {"JIXIAO_SECRET_KEY": _key(), "JIXIAO_AUDIT_KEY": _key()}
    good, wrong = tmp_path / "good", tmp_path / "wrong"
    assert node(good, shared_database, "migrate", **keys).returncode == 0
    assert node(good, shared_database, "record", "节点A", **keys).returncode == 0
    other = {**keys, "JIXIAO_AUDIT_KEY": _key()}
    done = run_jixiao(wrong, "audit", "verify", DATABASE_URL=shared_database, **other)
    assert done.returncode == 1
    assert "不是记录这条链时所用的" in done.stderr
    assert "JIXIAO_AUDIT_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    # Its readiness fails (the load balancer sends it nothing); it refuses to append.
    probe = node(wrong, shared_database, "probe", **other)
    health, ready = probe.stdout.splitlines()
    assert '"code": 200' in health
    assert '"code": 503' in ready
    assert '"keys": false' in ready
    refused = node(wrong, shared_database, "record", "节点B", **other)
    assert refused.returncode == 3
    assert "JIXIAO_AUDIT_KEY" in refused.stderr
    done = run_jixiao(good, "audit", "verify", DATABASE_URL=shared_database, **keys)
    assert done.returncode == 0, done.stderr
    assert "共 1 条" in done.stdout


def test_keys_named_by_the_environment_that_cannot_serve_are_refused_in_chinese(tmp_path: Path) -> None:
    short = run_jixiao(tmp_path / "a", "audit", "verify", JIXIAO_AUDIT_KEY="short")
    assert short.returncode == 2
    assert "JIXIAO_AUDIT_KEY 太短" in short.stderr
    missing = run_jixiao(tmp_path / "b", "audit", "verify", JIXIAO_AUDIT_KEY_FILE=str(tmp_path / "nothing"))
    assert missing.returncode == 2
    assert "JIXIAO_AUDIT_KEY_FILE 指向的文件" in missing.stderr
    for done in (short, missing):
        assert "Traceback" not in done.stderr


def test_health_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    """A node whose database is down (nothing listens on port 9): alive, but not healthy nor ready."""
    done = node(tmp_path, "postgresql://postgres@127.0.0.1:9/jixiao", "probe", JIXIAO_AUDIT_KEY=_key())
    health, ready = done.stdout.splitlines()
    for answer in (health, ready):
        assert '"code": 503' in answer
        assert '"database": false' in answer


def test_readiness_waits_for_the_migrations(tmp_path: Path) -> None:
    """A node on a database not yet migrated (a fresh SQLite file here): healthy, not ready."""
    keys = {"JIXIAO_AUDIT_KEY": _key()}
    health, ready = node(tmp_path, "", "probe", **keys).stdout.splitlines()
    assert '"code": 200' in health
    assert '"code": 503' in ready
    assert '"migrations": false' in ready
    assert node(tmp_path, "", "migrate", **keys).returncode == 0
    health, ready = node(tmp_path, "", "probe", **keys).stdout.splitlines()
    assert '"code": 200' in ready


def test_jixiao_serve_adds_up_its_workers_counts_and_logs_json_lines(tmp_path: Path) -> None:
    """The real server: two gunicorn workers count requests into one /metrics (prometheus_client's
    multiprocess mode), and each request is one JSON line on the server's standard error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            JIXIAO_CLI,
            "serve",
            *("--data-dir", str(tmp_path / "data")),
            *("--port", str(port)),
            *("--workers", "2"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**child_env(tmp_path / "data"), "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # as the browser tests allow a busy machine
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        requests = 24

        def fetch(number: int) -> int:
            with urllib.request.urlopen(f"{url}/public/?page={number}", timeout=30) as response:
                return int(response.status)

        with ThreadPoolExecutor(4) as pool:  # at the same time: both workers answer
            assert set(pool.map(fetch, range(requests))) == {200}
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    counted = re.search(r'^jixiao_http_responses_total\{[^}]*view="public-index"[^}]*\} (\S+)$', text, re.M)
    assert counted is not None, text
    assert float(counted.group(1)) == requests
    lines = [
        json.loads(line)
        for line in (tmp_path / "serve.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    public = [line for line in lines if line["path"] == "/public/"]
    assert len(public) == requests
    assert {tuple(line["query_keys"]) for line in public} == {("page",)}
