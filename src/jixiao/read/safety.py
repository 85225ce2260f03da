"""Guards for hostile files: zip bombs, encrypted packages, XML tricks.

Limits are absolute sizes, not ratios: a real target table is a few hundred kilobytes in any format.
XML parts that declare a DTD are refused before any parser sees them (office files never need one);
openpyxl parses through defusedxml and python-docx without resolving entities besides.  HTML is
parsed by lxml without network access.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Final

from jixiao.findings import unreadable

MAX_ZIP_ENTRIES: Final = 2_000
MAX_ZIP_ENTRY_BYTES: Final = 64 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES: Final = 200 * 1024 * 1024
#: How much of each XML part is read for a DTD (it can only stand before the root element).
_XML_HEAD_BYTES: Final = 256 * 1024
_COMMENT: Final = re.compile(rb"<!--.*?-->", re.DOTALL)
_ROOT_START: Final = re.compile(rb"<[A-Za-z_]")


def open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    """The zip package of an XLSX or DOCX file, refused when it could expand beyond the limits."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise unreadable(source, "damaged", format="压缩包（XLSX/DOCX）", error=error) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise unreadable(source, "zip-entries", count=len(entries), limit=MAX_ZIP_ENTRIES)
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise unreadable(source, "encrypted")
        if entry.file_size > MAX_ZIP_ENTRY_BYTES:
            raise unreadable(source, "zip-entry-size", name=entry.filename, size=entry.file_size)
        total += entry.file_size
    if total > MAX_ZIP_TOTAL_BYTES:
        raise unreadable(source, "zip-total-size", size=total, limit=MAX_ZIP_TOTAL_BYTES)
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")) and _declares_entities(package, entry):
            raise unreadable(source, "dtd", part=entry.filename)
    return package


def _declares_entities(package: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """True when an XML part declares a DTD: the way to entity-expansion and external-entity attacks.

    A DTD can only stand in the prolog, before the root element; comments there are skipped, and a
    prolog longer than any real one counts as a declaration.
    """
    try:
        with package.open(entry) as stream:
            head = stream.read(_XML_HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False  # a damaged part: the reader reports it
    prolog = _COMMENT.sub(b"", head)
    root = _ROOT_START.search(prolog)
    if root is None:
        return len(head) == _XML_HEAD_BYTES  # no root element within the limit: not a real part
    return b"<!DOCTYPE" in prolog[: root.start()] or b"<!ENTITY" in prolog[: root.start()]
