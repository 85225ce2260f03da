"""Files in the database: a Django storage (``STORAGES["default"]``) keeping each file as one row of
:class:`~jixiao_web.models.StoredBlob`, so that every app node and worker sees the same files and the
database's backup (``pg_dump``, the SQLite copy) holds them.

Names are unique (the table says so; :meth:`DatabaseStorage.get_available_name` adds a suffix like
any Django storage); a file is read in pieces (``substr`` of the blob, :data:`CHUNK_BYTES` at a
time), never loaded whole into a web worker's memory to be served.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import IO, Any, Final

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import IntegrityError, connection, transaction
from django.utils.deconstruct import deconstructible

#: How much of a stored file one read fetches from the database.
CHUNK_BYTES: Final = 1024 * 1024


class BlobReader(io.RawIOBase):
    """A stored file read piece by piece from its row (``SELECT substr(content, …)``)."""

    def __init__(self, pk: int, size: int) -> None:
        super().__init__()
        self._pk = pk
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), CHUNK_BYTES, self._size - self._position)
        if want <= 0:
            return 0
        piece = _piece(self._pk, self._position, want)
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)


def _piece(pk: int, start: int, length: int) -> bytes:
    from jixiao_web.models import StoredBlob

    table = connection.ops.quote_name(StoredBlob._meta.db_table)
    with connection.cursor() as cursor:
        # substr counts from 1, on bytea (PostgreSQL) and BLOB (SQLite) alike.
        cursor.execute(f"SELECT substr(content, %s, %s) FROM {table} WHERE id = %s", [start + 1, length, pk])
        row = cursor.fetchone()
    if row is None:
        raise FileNotFoundError(pk)
    return bytes(row[0])


@deconstructible
class DatabaseStorage(Storage):
    """Django storage in the database's ``jixiao_web_storedblob`` table."""

    def _row(self, name: str) -> tuple[int, int]:
        """The row of ``name`` and the length of what it really holds (not the size column)."""
        from jixiao_web.models import StoredBlob

        table = connection.ops.quote_name(StoredBlob._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, length(content) FROM {table} WHERE name = %s", [name])
            found = cursor.fetchone()
        if found is None:
            raise FileNotFoundError(f"数据库中没有文件 {name}")
        return int(found[0]), int(found[1])

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("数据库中的文件只能读取；写入请用 save()。")
        pk, size = self._row(name)
        handle: IO[bytes] = io.BufferedReader(BlobReader(pk, size), buffer_size=CHUNK_BYTES)
        stored = File(handle, name)
        stored.size = size
        return stored

    def _save(self, name: str, content: File[Any]) -> str:
        from jixiao_web.models import StoredBlob

        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        if isinstance(data, str):
            data = data.encode()
        while True:
            try:
                with transaction.atomic():
                    StoredBlob.objects.create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:  # taken meanwhile by another node: another name
                name = self.get_available_name(name)

    def delete(self, name: str) -> None:
        from jixiao_web.models import StoredBlob

        StoredBlob.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        from jixiao_web.models import StoredBlob

        return StoredBlob.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        return self._row(name)[1]

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        from jixiao_web.models import StoredBlob

        prefix = path.rstrip("/") + "/" if path else ""
        directories: set[str] = set()
        files: list[str] = []
        for name in StoredBlob.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            rest = name[len(prefix) :]
            head, slash, _ = rest.partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(rest)
        return sorted(directories), sorted(files)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("数据库中的文件经由网页系统的下载地址提供，没有直接的网址。")

    def get_created_time(self, name: str) -> datetime:
        from jixiao_web.models import StoredBlob

        found = StoredBlob.objects.filter(name=name).values_list("created_at", flat=True).first()
        if found is None:
            raise FileNotFoundError(name)
        return found

    get_modified_time = get_created_time
