"""ops: ``jixiao backup`` / ``jixiao restore``: a data set (the demo city with filings, evidence and
published exports) restored into a fresh data dir verifies there; an altered backup is refused in
Chinese and nothing is written."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from jixiao_web.backup import sign_manifest

from .conftest import child_env, run_jixiao

pytestmark = pytest.mark.slow

#: The demo city, plus an evidence file on a self-evaluation still in draft.
PREPARE = """
import django
django.setup()
from pathlib import Path
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from jixiao.model import TargetTable
from jixiao.write.pdf import write_pdf
from jixiao_web import demo, evidence
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, Kind, Role, Status, User
call_command("migrate", verbosity=0)
assert demo.load(Path(settings.DATA_DIR))
filing = Filing.objects.filter(kind=Kind.SELFEVAL, status=Status.DRAFT).order_by("pk").first()
filer = User.objects.get(department=filing.department, role=Role.FILER)
pdf = write_pdf(TargetTable.model_validate({"title": "会议纪要", "department": {"name": filing.department.name}}))
evidence.attach(Actor(filer), filing, SimpleUploadedFile("会议纪要.pdf", pdf))
"""


def _files(data_dir: Path) -> dict[str, str]:
    media = data_dir / "media"
    return {
        path.relative_to(media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The demo city's data dir, its backup, and what ``audit verify`` says of it."""
    root = tmp_path_factory.mktemp("backup")
    source = root / "source"
    done = subprocess.run(
        [sys.executable, "-c", PREPARE], capture_output=True, text=True, env=child_env(source), check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # queue: the published versions' downloads are rendered by the worker.
    worked = run_jixiao(source, "worker", "--batch")
    assert worked.returncode == 0, worked.stderr[-3000:]
    verified = run_jixiao(source, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # The bureau's checkpoint, kept apart from the backups.
    assert run_jixiao(source, "audit", "checkpoint", "-o", str(root / "checkpoint.json")).returncode == 0
    made = run_jixiao(source, "backup", "-o", str(root / "jixiao.tar.gz"))
    assert made.returncode == 0, made.stderr
    assert "SQLite 数据库、密钥" in made.stdout
    return source, root / "jixiao.tar.gz", verified.stdout.splitlines()[0]


def test_a_restored_demo_city_verifies_in_its_new_data_dir(
    demo_backup: tuple[Path, Path, str], tmp_path: Path
) -> None:
    source, backup, verified = demo_backup
    target = tmp_path / "restored"
    done = run_jixiao(target, "restore", str(backup), "--checkpoint", str(backup.parent / "checkpoint.json"))
    assert done.returncode == 0, done.stderr
    assert "操作记录完整" in done.stdout
    assert "与检查点" in done.stdout
    again = run_jixiao(target, "audit", "verify")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == verified  # the same entries, filings, versions, exports
    # The stored files (published exports, the evidence) and the keys came along, byte for byte.
    files = _files(source)
    assert any(name.startswith("evidence/") for name in files)
    assert sum(name.startswith("exports/") for name in files) >= 10
    assert any(name.startswith("opendata/") for name in files)  # queue: the open data, built by the worker
    assert _files(target) == files
    for key in ("secret_key", "audit_key"):
        assert (target / key).read_text() == (source / key).read_text()
        assert (target / key).stat().st_mode & 0o077 == 0
    assert (target / "jixiao.sqlite3").stat().st_mode & 0o077 == 0
    # Restoring over an installation is refused.
    over = run_jixiao(target, "restore", str(backup))
    assert over.returncode == 2
    assert "不是空目录" in over.stderr


def _rewrite(backup: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of ``backup`` with each member's bytes passed through ``change`` (None drops it)."""
    with tarfile.open(backup, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            handle = source.extractfile(member)
            assert handle is not None
            data = change(member.name, handle.read())
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def test_an_altered_backup_is_refused_in_chinese_and_nothing_is_written(
    demo_backup: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, backup, _ = demo_backup
    with tarfile.open(backup, "r:gz") as archive:
        handle = archive.extractfile("manifest.json")
        assert handle is not None
        manifest_text = handle.read()
    manifest = json.loads(manifest_text)
    forged_manifest = json.loads(manifest_text)
    altered_database = _flip(_database_bytes(backup))

    def database(name: str, data: bytes) -> bytes:
        return altered_database if name == "database.sqlite3" else data

    def database_and_manifest(name: str, data: bytes) -> bytes:
        """…with the manifest's digest made to match: only the key could sign that."""
        if name == "manifest.json":
            manifest["members"]["database.sqlite3"]["sha256"] = hashlib.sha256(altered_database).hexdigest()
            return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode()
        return database(name, data)

    def evidence_dropped(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("files/media/evidence/") else data

    def key_replaced(name: str, data: bytes) -> bytes:
        return b"an-attacker's-own-audit-key-0123456789abcdef" if name == "keys/audit_key" else data

    def rekeyed(name: str, data: bytes) -> bytes:
        """A forger's backup: a key of their own, the manifest signed again with it."""
        forged_key = b"a-forger's-own-audit-key-0123456789abcdef"
        if name == "keys/audit_key":
            return forged_key
        listed = forged_manifest["members"]["keys/audit_key"]
        listed.update(sha256=hashlib.sha256(forged_key).hexdigest(), size=len(forged_key))
        text = json.dumps(forged_manifest, ensure_ascii=False, sort_keys=True, indent=1).encode()
        if name == "manifest.json":
            return text
        if name == "manifest.sig":
            return sign_manifest(text, forged_key.decode()).encode()
        return data

    def grown(name: str, data: bytes) -> bytes:
        return data + b"\0" * 4096 if name == "database.sqlite3" else data

    cases = {
        "database": (_rewrite(backup, tmp_path / "a.tar.gz", database), "database.sqlite3 的内容与清单"),
        "manifest": (_rewrite(backup, tmp_path / "b.tar.gz", database_and_manifest), "清单与其签名不符"),
        "dropped": (_rewrite(backup, tmp_path / "c.tar.gz", evidence_dropped), "缺少清单中的文件"),
        "key": (_rewrite(backup, tmp_path / "d.tar.gz", key_replaced), "清单与其签名不符"),
        "grown": (_rewrite(backup, tmp_path / "h.tar.gz", grown), "database.sqlite3 比清单记录的大"),
    }
    truncated = tmp_path / "e.tar.gz"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    cases["truncated"] = (truncated, "备份文件已被改动或损坏")
    with tarfile.open(tmp_path / "f.tar.gz", "w:gz") as archive:
        archive.add(backup, arcname="../escape")
    cases["escape"] = (tmp_path / "f.tar.gz", "不属于备份")
    (tmp_path / "g.tar.gz").write_bytes(b"not a backup at all")
    cases["other"] = (tmp_path / "g.tar.gz", "无法读取备份文件")
    for case, (path, message) in cases.items():
        target = tmp_path / f"restored-{case}"
        done = run_jixiao(target, "restore", str(path))
        assert done.returncode == 1, (case, done.stdout, done.stderr)
        assert message in done.stderr, (case, done.stderr)
        assert "Traceback" not in done.stderr, case
        assert not target.exists(), case  # nothing written, not even the keys
    assert not (tmp_path.parent / "escape").exists()
    # A forger's backup signed with a key of their own: consistent in itself, so it takes the
    # deployment's own key …
    forged = _rewrite(backup, tmp_path / "i.tar.gz", rekeyed)
    original_key = (demo_backup[0] / "audit_key").read_text()
    done = run_jixiao(tmp_path / "restored-forged", "restore", str(forged), JIXIAO_AUDIT_KEY=original_key)
    assert done.returncode == 1
    assert "与本节点的 JIXIAO_AUDIT_KEY 不同" in done.stderr
    assert not (tmp_path / "restored-forged").exists()
    # … or the bureau's checkpoint to be found out.
    checkpoint = str(backup.parent / "checkpoint.json")
    done = run_jixiao(tmp_path / "restored-forged-2", "restore", str(forged), "--checkpoint", checkpoint)
    assert done.returncode == 1
    assert "不是记录这条链时所用的" in done.stderr


def _database_bytes(backup: Path) -> bytes:
    with tarfile.open(backup, "r:gz") as archive:
        handle = archive.extractfile("database.sqlite3")
        assert handle is not None
        return handle.read()


NODE = """
import sys, django
django.setup()
from django.core.management import call_command
from jixiao_web import audit
from jixiao_web.models import AuditAction
call_command("migrate", verbosity=0)
for number in range(3):
    audit.record(audit.Actor(None, name="命令行"), AuditAction.LIBRARY_REBUILD, target=f"第{number}次")
"""


def test_a_postgresql_installation_round_trips_through_pg_dump(
    tmp_path: Path, fresh_postgres: Callable[[], str]
) -> None:
    source_db, target_db = fresh_postgres(), fresh_postgres()
    source = tmp_path / "source"
    done = subprocess.run(
        [sys.executable, "-c", NODE],
        capture_output=True,
        text=True,
        env=child_env(source, DATABASE_URL=source_db),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    made = run_jixiao(source, "backup", "-o", str(tmp_path / "pg.tar.gz"), DATABASE_URL=source_db)
    assert made.returncode == 0, made.stderr
    assert "PostgreSQL 数据库" in made.stdout
    with tarfile.open(tmp_path / "pg.tar.gz", "r:gz") as archive:
        assert "database.pgdump" in archive.getnames()
    # Into a database that is not empty (the source itself): refused, nothing written.
    refused = run_jixiao(tmp_path / "over", "restore", str(tmp_path / "pg.tar.gz"), DATABASE_URL=source_db)
    assert refused.returncode == 2
    assert "不是空的" in refused.stderr
    assert not (tmp_path / "over").exists()
    # Without DATABASE_URL it would go to SQLite: refused, with what to do.
    refused = run_jixiao(tmp_path / "sqlite", "restore", str(tmp_path / "pg.tar.gz"))
    assert refused.returncode == 2
    assert "请设置 DATABASE_URL" in refused.stderr
    done = run_jixiao(tmp_path / "target", "restore", str(tmp_path / "pg.tar.gz"), DATABASE_URL=target_db)
    assert done.returncode == 0, done.stderr
    verified = run_jixiao(tmp_path / "target", "audit", "verify", DATABASE_URL=target_db)
    assert verified.returncode == 0, verified.stderr
    assert "共 3 条，哈希链无断裂" in verified.stdout


DATABASE_FILES = """
import hashlib, json
from jixiao_web.models import StoredBlob
print(json.dumps({b.name: hashlib.sha256(bytes(b.content)).hexdigest() for b in StoredBlob.objects.all()}))
"""


def test_files_in_the_database_storage_round_trip_and_verify(tmp_path: Path) -> None:
    """queue: with ``JIXIAO_STORAGE=database`` the exports and evidence are rows of the database:
    the backup carries them inside the database, the restored data set verifies, and nothing of
    them is in the data dir."""
    source, target = tmp_path / "source", tmp_path / "restored"
    database = {"JIXIAO_STORAGE": "database"}
    done = subprocess.run(
        [sys.executable, "-c", PREPARE],
        capture_output=True,
        text=True,
        env=child_env(source, **database),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert run_jixiao(source, "worker", "--batch", **database).returncode == 0
    verified = run_jixiao(source, "audit", "verify", **database)
    assert verified.returncode == 0, verified.stderr

    def stored(data_dir: Path) -> dict[str, str]:
        shown = run_jixiao(data_dir, "manage", "shell", "-c", DATABASE_FILES, **database)
        assert shown.returncode == 0, shown.stderr
        return dict(json.loads(shown.stdout.strip().splitlines()[-1]))

    files = stored(source)
    assert sum(name.startswith("exports/") for name in files) >= 10
    assert any(name.startswith("evidence/") for name in files)
    assert any(name.startswith("opendata/") for name in files)
    assert _files(source) == {}  # nothing in the data dir
    made = run_jixiao(source, "backup", "-o", str(tmp_path / "db.tar.gz"), **database)
    assert made.returncode == 0, made.stderr
    restored = run_jixiao(target, "restore", str(tmp_path / "db.tar.gz"), **database)
    assert restored.returncode == 0, restored.stderr
    again = run_jixiao(target, "audit", "verify", **database)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == verified.stdout.splitlines()[0]
    assert stored(target) == files
