"""``jixiao backup`` and ``jixiao restore``: the database, the keys and the stored files in one file.

A backup is a gzip'd tar: ``manifest.json`` (format, time, database engine, the chain's head, and
each member's SHA-256 and size), ``manifest.sig`` (HMAC-SHA-256 of the manifest, keyed with the audit
key), ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the server runs) or
``database.pgdump`` (``pg_dump --format=custom``: one consistent snapshot, restored by
``pg_restore`` into an empty database), ``keys/secret_key``, ``keys/audit_key``, and ``files/…``
(the data dir's ``media/``: exports and evidence; ``demo-accounts.txt``).

The database is copied first and the files after it: stored files are only ever added (exports and
evidence are append-only), so every file the copied database names is in the backup.

Restoring checks everything before it writes anything: each member's digest against the manifest,
the manifest against its signature, no member outside the manifest, no path leaving the folder.
The manifest, its signature and the keys come first: restoring checks the signature before it
writes anything large, and writes each later member only up to its signed size.  The key is in
the backup, so on its own the signature proves the backup consistent (nothing damaged, nothing
edited by hand) but not genuine: a forger can put in a key of their own and sign again.  What
proves it genuine is a key or a checkpoint from outside the backup: ``JIXIAO_AUDIT_KEY`` set when
restoring (the backup's key must be that one), or ``--checkpoint`` (the restored chain must contain
the checkpoint's entry).  Keep backups encrypted, and checkpoints apart from them.  After restoring,
the audit chain is verified in the restored installation.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final

FORMAT: Final = "jixiao-backup"
VERSION: Final = 1
KEYS: Final = ("secret_key", "audit_key")
#: What of the data dir is kept besides the database and the keys (folders copied whole).
KEPT: Final = ("media", "demo-accounts.txt")
SQLITE_MEMBER: Final = "database.sqlite3"
PGDUMP_MEMBER: Final = "database.pgdump"
CHUNK: Final = 1024 * 1024
#: The manifest lists every stored file (about 150 bytes each): room for some 400,000.
MANIFEST_MAX: Final = 64 * 1024 * 1024


class Refused(Exception):
    """A backup or restore that cannot be done; the message says why, in Chinese."""

    @property
    def altered(self) -> bool:
        """Whether the backup file itself is altered or damaged (not a setting to correct)."""
        return str(self).startswith((ALTERED, "无法读取备份文件", "备份中的操作记录密钥"))


@dataclass(frozen=True)
class Summary:
    engine: str
    files: int
    size: int
    chain_seq: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sign_manifest(manifest: bytes, audit_key: str) -> str:
    return hmac.new(audit_key.encode(), b"jixiao-backup:" + manifest, hashlib.sha256).hexdigest()


def _pg_env(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore (the password by environment)."""
    arguments = []
    if database.get("HOST"):
        arguments += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        arguments += ["--port", str(database["PORT"])]
    if database.get("USER"):
        arguments += ["--username", str(database["USER"])]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return arguments, env


def _run_pg(program: str, arguments: list[str], env: dict[str, str]) -> None:
    found = shutil.which(program)
    if found is None:
        raise Refused(
            f"本机没有 {program}（PostgreSQL 客户端，Debian 软件包 postgresql-client）：无法处理 PostgreSQL 数据库。"
        )
    done = subprocess.run([found, *arguments], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise Refused(f"{program} 失败（退出码 {done.returncode}）：{done.stderr.strip()[-800:]}")


# --- backup ----------------------------------------------------------------------------------------


def create(data_dir: Path, output: Path) -> Summary:
    """Write the backup of the installation Django is set up for (``data_dir``) to ``output``."""
    from django.conf import settings
    from django.db import connection

    from jixiao_web.audit import key_id
    from jixiao_web.models import AuditHead

    if output.exists():
        raise Refused(f"{output} 已存在：备份不覆盖已有的文件，请换一个文件名。")
    engine = connection.vendor
    head = AuditHead.objects.filter(pk=1).first()
    with tempfile.TemporaryDirectory(prefix=".jixiao-backup-", dir=output.resolve().parent) as work:
        folder = Path(work)
        members: dict[str, Path] = {}
        for name in KEYS:  # first after the manifest: restoring checks the signature with them
            key_file = folder / "keys" / name
            key_file.parent.mkdir(mode=0o700, exist_ok=True)
            key_file.write_text(getattr(settings, name.upper()), encoding="utf-8")
            members[f"keys/{name}"] = key_file
        if engine == "sqlite":
            target = folder / SQLITE_MEMBER
            source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # a consistent copy, even while the server writes
            finally:
                copy.close()
                source.close()
            members[SQLITE_MEMBER] = target
        elif engine == "postgresql":
            database = settings.DATABASES["default"]
            arguments, env = _pg_env(database)
            target = folder / PGDUMP_MEMBER
            _run_pg(
                "pg_dump",
                [
                    *arguments,
                    *("--format=custom", "--no-owner", "--no-privileges", "--file", str(target)),
                    *("--dbname", str(database["NAME"])),
                ],
                env,
            )
            members[PGDUMP_MEMBER] = target
        else:
            raise Refused(f"不支持备份 {engine} 数据库。")
        for kept in KEPT:
            path = data_dir / kept
            found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in found:
                if file.is_file() and not file.is_symlink():
                    members["files/" + file.relative_to(data_dir).as_posix()] = file
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "key_sources": dict(getattr(settings, "KEY_SOURCES", {})),
            "audit_key_id": key_id(),
            "chain": {"seq": head.seq if head else 0, "hash": head.hash if head else ""},
            "members": {
                name: {"sha256": _sha256(path), "size": path.stat().st_size} for name, path in members.items()
            },
        }
        text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode()
        partial = output.with_name(output.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                _add_bytes(archive, "manifest.json", text)
                _add_bytes(archive, "manifest.sig", sign_manifest(text, settings.AUDIT_KEY).encode())
                for name, path in members.items():
                    info = tarfile.TarInfo(name)
                    info.size = path.stat().st_size
                    info.mode = 0o600
                    info.mtime = int(path.stat().st_mtime)
                    with path.open("rb") as handle:
                        archive.addfile(info, handle)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    files = sum(1 for name in members if name.startswith("files/"))
    return Summary(engine, files, output.stat().st_size, manifest["chain"]["seq"])  # type: ignore[index]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


# --- restore ---------------------------------------------------------------------------------------

ALTERED: Final = "备份文件已被改动或损坏"


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


#: The members read first, in this order, before anything is written: the manifest, its signature
#: and the keys (to check the signature); each small.
HEAD_MEMBERS: Final = ("manifest.json", "manifest.sig", "keys/secret_key", "keys/audit_key")
HEAD_MAX: Final = {
    "manifest.json": MANIFEST_MAX,
    "manifest.sig": 1024,
    "keys/secret_key": 4096,
    "keys/audit_key": 4096,
}


def unpack(archive_path: Path, into: Path, expected_key: str = "") -> dict[str, Any]:
    """Unpack ``archive_path`` into the empty folder ``into`` and check it whole; the manifest when
    all is well, else :class:`Refused`.

    The manifest, its signature and the keys come first and are checked before anything else is
    read: each later member must be listed, and is written only up to its listed size (a forged
    archive cannot fill the disk) and compared with its listed digest.  ``expected_key``, when
    given (the deployment's own audit key), must be the backup's: only then does the signature
    prove more than the backup's consistency, since a forger could put in a key of their own."""
    try:
        archive = tarfile.open(archive_path, mode="r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError, EOFError) as error:
        reason = (
            error.strerror
            if isinstance(error, OSError) and error.strerror
            else "不是 jixiao 备份文件或已损坏"
        )
        raise Refused(f"无法读取备份文件 {archive_path}：{reason}。") from None
    head: dict[str, bytes] = {}
    listed: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {}
    written: set[str] = set()
    try:
        with archive:
            for member in archive:
                name = member.name
                if not member.isfile() or not _safe_name(name) or name in head or name in written:
                    raise Refused(f"{ALTERED}：含有不属于备份的条目“{name}”，拒绝恢复。")
                handle = archive.extractfile(member)
                assert handle is not None
                if len(head) < len(HEAD_MEMBERS):
                    if name != HEAD_MEMBERS[len(head)]:
                        raise Refused(
                            f"{ALTERED}，或不是 jixiao 备份文件：开头不是清单、签名和密钥，拒绝恢复。"
                        )
                    head[name] = handle.read(HEAD_MAX[name] + 1)
                    if len(head[name]) > HEAD_MAX[name]:
                        raise Refused(f"{ALTERED}：{name} 过大，拒绝恢复。")
                    if len(head) == len(HEAD_MEMBERS):
                        manifest = _checked_manifest(head, expected_key)
                        listed = manifest["members"]
                        for key in ("keys/secret_key", "keys/audit_key"):
                            _same(key, head[key], listed)
                            _write(into / key, [head[key]])
                            written.add(key)
                    continue
                if name not in listed:
                    raise Refused(f"{ALTERED}：含有清单中没有的文件（{name}），拒绝恢复。")
                _write(into / name, _bounded(handle, int(listed[name]["size"]), name), listed[name], name)
                written.add(name)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
        raise Refused(f"{ALTERED}：无法完整读出（{error}），拒绝恢复。") from None
    if len(head) < len(HEAD_MEMBERS):
        raise Refused(f"{ALTERED}，或不是 jixiao 备份文件：没有完整的清单、签名和密钥，拒绝恢复。")
    missing = sorted(set(listed) - written)
    if missing:
        raise Refused(f"{ALTERED}：缺少清单中的文件（{'、'.join(missing[:5])}），拒绝恢复。")
    return manifest


def _checked_manifest(head: dict[str, bytes], expected_key: str) -> dict[str, Any]:
    try:
        manifest = json.loads(head["manifest.json"])
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError
    except ValueError:
        raise Refused(
            f"{ALTERED}，或不是 jixiao 备份文件：没有可读的清单（manifest.json），拒绝恢复。"
        ) from None
    if manifest.get("version") != VERSION:
        raise Refused(f"备份文件的格式版本为 {manifest.get('version')}，本程序只能恢复第 {VERSION} 版。")
    audit_key = head["keys/audit_key"].decode("utf-8", errors="replace")
    signature = head["manifest.sig"].decode("ascii", errors="replace")
    if not hmac.compare_digest(signature, sign_manifest(head["manifest.json"], audit_key)):
        raise Refused(f"{ALTERED}：清单与其签名不符（清单或密钥被改动），拒绝恢复。")
    if expected_key and not hmac.compare_digest(expected_key, audit_key):
        raise Refused(
            "备份中的操作记录密钥与本节点的 JIXIAO_AUDIT_KEY 不同：备份可能被人换上了别的密钥，或来自另一套安装。"
            "请设置与备份时相同的密钥，或取消该变量（使用备份中的密钥，此时请用检查点核对），拒绝恢复。"
        )
    if not isinstance(manifest.get("members"), dict):
        raise Refused(f"{ALTERED}：清单中没有文件列表，拒绝恢复。")
    return manifest


def _same(name: str, data: bytes, listed: dict[str, dict[str, Any]]) -> None:
    item = listed.get(name)
    if item is None or (hashlib.sha256(data).hexdigest(), len(data)) != (item["sha256"], item["size"]):
        raise Refused(f"{ALTERED}：{name} 的内容与清单记录的 SHA-256 不符，拒绝恢复。")


def _bounded(handle: IO[bytes], size: int, name: str) -> Iterator[bytes]:
    """The member's bytes, refused as soon as they run past the size the manifest lists."""
    total = 0
    while chunk := handle.read(CHUNK):
        total += len(chunk)
        if total > size:
            raise Refused(f"{ALTERED}：{name} 比清单记录的大，拒绝恢复。")
        yield chunk


def _write(target: Path, chunks: Iterable[bytes], item: dict[str, Any] | None = None, name: str = "") -> None:
    """Write ``chunks`` to the new file ``target`` (owner only); with ``item``, check its digest."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if item is not None and (digest.hexdigest(), size) != (item["sha256"], item["size"]):
        raise Refused(f"{ALTERED}：{name} 的内容与清单记录的 SHA-256 不符，拒绝恢复。")


def restore(archive_path: Path, data_dir: Path) -> tuple[Summary, dict[str, Any]]:
    """Check ``archive_path`` whole, then install it into the empty (or new) ``data_dir`` and the
    database ``DATABASE_URL`` names (it must be empty) or the data dir's SQLite file.  Django is set
    up here, for ``data_dir``; the caller verifies the chain afterwards."""
    data_dir = data_dir.resolve()
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise Refused(
            f"数据目录 {data_dir} 已存在且不是空目录：恢复只写入新的或空的数据目录，不覆盖已有的安装。"
        )
    target_engine = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    environment_key = _environment_audit_key()
    made = not data_dir.exists()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    try:
        with tempfile.TemporaryDirectory(prefix=".jixiao-restore-", dir=data_dir) as work:
            staging = Path(work)
            manifest = unpack(archive_path, staging, expected_key=environment_key)
            engine = manifest["engine"]
            if engine != target_engine:
                raise Refused(
                    {
                        "postgresql": "备份来自 PostgreSQL 数据库：恢复时请设置 DATABASE_URL，指向一个空的 PostgreSQL 数据库。",
                        "sqlite": "备份来自数据目录中的 SQLite 数据库：恢复时请不要设置 DATABASE_URL。",
                    }.get(engine, f"备份中的数据库类型 {engine} 无法恢复。")
                )
            for name in KEYS:
                (staging / "keys" / name).replace(data_dir / name)
            files = staging / "files"
            count = 0
            if files.is_dir():
                for item in sorted(files.iterdir()):
                    item.replace(data_dir / item.name)
                count = sum(1 for name in manifest["members"] if name.startswith("files/"))
            if engine == "sqlite":
                (staging / SQLITE_MEMBER).replace(data_dir / "jixiao.sqlite3")
                _setup_django(data_dir)
            else:
                _setup_django(data_dir)
                _pg_restore(staging / PGDUMP_MEMBER)
        return Summary(engine, count, archive_path.stat().st_size, int(manifest["chain"]["seq"])), manifest
    except BaseException:
        _empty(data_dir, remove=made)
        raise


def _environment_audit_key() -> str:
    """The deployment's audit key, when the environment gives it (itself or by a file)."""
    value = os.environ.get("JIXIAO_AUDIT_KEY", "").strip()
    if not value and os.environ.get("JIXIAO_AUDIT_KEY_FILE"):
        try:
            value = Path(os.environ["JIXIAO_AUDIT_KEY_FILE"]).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise Refused("JIXIAO_AUDIT_KEY_FILE 指向的文件无法读取。") from None
    return value


def _setup_django(data_dir: Path) -> None:
    import django

    os.environ["JIXIAO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao_web.settings")
    django.setup()


def _pg_restore(dump: Path) -> None:
    from django.conf import settings
    from django.db import connection

    if connection.introspection.table_names():
        name = settings.DATABASES["default"]["NAME"]
        raise Refused(f"DATABASE_URL 指向的数据库 {name} 不是空的：恢复只写入空数据库，不覆盖已有的数据。")
    connection.close()
    database = settings.DATABASES["default"]
    arguments, env = _pg_env(database)
    _run_pg(
        "pg_restore",
        [
            *arguments,
            *("--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"),
            *("--dbname", str(database["NAME"]), str(dump)),
        ],
        env,
    )


def _empty(data_dir: Path, *, remove: bool) -> None:
    """Undo a refused restore: the data dir as it was (absent, or empty)."""
    if remove:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for item in data_dir.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)
