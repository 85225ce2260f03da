"""Guards for hostile files: zip bombs, encrypted packages, XML tricks.

Limits are absolute sizes, not ratios: a real target table is a few hundred kilobytes in any format.
XML inside office files is parsed by openpyxl (through defusedxml) and python-docx (entities not
resolved); HTML by lxml without network access.
"""

from __future__ import annotations

import io
import zipfile
from typing import Final

from jixiao.findings import Location, ReadError

MAX_ZIP_ENTRIES: Final = 2_000
MAX_ZIP_ENTRY_BYTES: Final = 64 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES: Final = 200 * 1024 * 1024


def open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    """The zip package of an XLSX or DOCX file, refused when it could expand beyond the limits."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ReadError(
            "file-unreadable", Location("file"), source=source, reason=f"压缩包已损坏（{error}）"
        ) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _refuse(source, f"压缩包内有 {len(entries)} 个文件，超过上限 {MAX_ZIP_ENTRIES}")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise ReadError("file-unreadable", Location("file"), source=source, reason="文件已加密，请先解密")
        if entry.file_size > MAX_ZIP_ENTRY_BYTES:
            raise _refuse(source, f"压缩包内文件 {entry.filename} 解压后 {entry.file_size} 字节，超过上限")
        total += entry.file_size
    if total > MAX_ZIP_TOTAL_BYTES:
        raise _refuse(source, f"压缩包解压后共 {total} 字节，超过上限 {MAX_ZIP_TOTAL_BYTES}")
    return package


def _refuse(source: str, reason: str) -> ReadError:
    return ReadError(
        "file-unreadable", Location("file"), source=source, reason=f"{reason}，疑似压缩炸弹，拒绝读取"
    )
