"""Guards for hostile files: zip bombs, encrypted packages, XML tricks.

Limits are absolute sizes, not ratios: a real target table is a few hundred kilobytes in any format.
XML parts that declare a DTD are refused before any parser sees them (office files never need one);
openpyxl parses through defusedxml and python-docx without resolving entities besides.  HTML is
parsed by lxml without network access.
"""

from __future__ import annotations

import codecs
import contextlib
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
#: What may stand before the root element besides white space: comments and processing instructions
#: (``<?xml …?>`` and any other); the text inside them is not markup.
_COMMENT: Final = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_ROOT_START: Final = re.compile(r"<[^!?\s]")
_DECLARATION: Final = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED_ENCODING: Final = re.compile(r"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)")
#: How an XML part's first bytes tell its encoding (XML 1.0, appendix F): BOMs, then ``<?`` as
#: UTF-16/32 without a BOM.  Anything else is read as UTF-8 (ASCII-compatible encodings agree on markup).
_ENCODINGS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    """The zip package of an XLSX or DOCX file, refused when it could expand beyond the limits."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise unreadable(source, "damaged", format="压缩包（XLSX/DOCX）") from None
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

    A DTD can only stand in the prolog, before the root element; the part is decoded first (a UTF-16
    or UTF-32 part hides its markup from a byte search), comments and processing instructions there
    are skipped, and a prolog longer than any real one counts as a declaration.
    """
    try:
        with package.open(entry) as stream:
            head = stream.read(_XML_HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False  # a damaged part: the reader reports it
    return declares_entities(head, complete=len(head) < _XML_HEAD_BYTES)


def declares_entities(head: bytes, complete: bool = True) -> bool:
    """True when the XML document starting with ``head`` has a DTD (``<!DOCTYPE`` or ``<!ENTITY``)
    before its root element; ``complete``: ``head`` is the whole document."""
    encoding = next((name for start, name in _ENCODINGS if head.startswith(start)), "utf-8")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    declared = _DECLARED_ENCODING.match(text)
    if declared is not None and not declared.group(1).lower().startswith(("utf-16", "utf-32", "ucs")):
        # An ASCII-compatible encoding the parser would honour (UTF-7 spells "<" as "+ADw-").
        with contextlib.suppress(LookupError):
            text = head.decode(codecs.lookup(declared.group(1)).name, errors="replace")
    prolog = _COMMENT.sub("", text)
    root = _ROOT_START.search(prolog)
    if root is None:
        # No root element within the limit (not a real part), or an unclosed comment or PI hiding one.
        return not complete or _DECLARATION.search(text) is not None
    return _DECLARATION.search(prolog[: root.start()]) is not None
