"""佐证材料: files a department attaches to its self-evaluation (PDF, images, office files).

An attached file is untrusted like any upload: its size is capped before it is read, and what it
is comes from its content, found in the same limited child process as uploads
(:func:`jixiao_web.uploads.run_limited`, ``python -m jixiao_web.uploads --evidence NAME``): a PDF
must open, an image must decode, an office file must be a well-formed zip (entries and sizes
capped) or an OLE file of the kind its name says.  Its name must agree with its content.  It is
stored with its SHA-256, and the digest is recorded in the audit chain.

:func:`sniff` runs in the child and imports no Django; :func:`attach` runs in the web process.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from jixiao_web.audit import Actor
    from jixiao_web.models import Evidence, Filing

#: A file's kind → the extensions its name may have.
EXTENSIONS: Final = {
    "pdf": (".pdf",),
    "png": (".png",),
    "jpeg": (".jpg", ".jpeg"),
    "docx": (".docx",),
    "xlsx": (".xlsx",),
    "pptx": (".pptx",),
    "doc": (".doc",),
    "xls": (".xls",),
    "ppt": (".ppt",),
}
CONTENT_TYPES: Final = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
KIND_NAMES: Final = "PDF、PNG/JPEG 图片、Word、Excel、PowerPoint"
#: The largest evidence file, and the most a zip-based office file may unpack to.
MAX_BYTES: Final = 10 * 1024 * 1024
MAX_UNPACKED: Final = 200 * 1024 * 1024
MAX_ENTRIES: Final = 5000
MAX_PIXELS: Final = 60_000_000
#: Files per self-evaluation.
MAX_FILES: Final = 30
_OFFICE_PARTS: Final = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}


def _office_zip(data: bytes) -> tuple[str | None, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED:
                return None, "压缩内容过大"
            names = [e.filename for e in entries]
            if "[Content_Types].xml" not in names:
                return None, "不是 Office 文件"
            if archive.testzip() is not None:
                return None, "文件已损坏"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None, "文件已损坏"
    for prefix, kind in _OFFICE_PARTS.items():
        if any(name.startswith(prefix) for name in names):
            return kind, ""
    return None, "不是 Word、Excel 或 PowerPoint 文件"


def sniff(name: str, data: bytes) -> tuple[str | None, str]:
    """What ``data`` is (a key of :data:`EXTENSIONS`), opened to make sure; else None and why
    (Chinese).  Runs in the limited child process."""
    extension = PurePath(name).suffix.lower()
    if data.startswith(b"%PDF-"):
        import pdfplumber

        try:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                if not pdf.pages:
                    return None, "PDF 没有页面"
        except Exception:  # any parser failure: the file is not a usable PDF
            return None, "PDF 文件已损坏"
        kind: str | None = "pdf"
    elif data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                kind = {"PNG": "png", "JPEG": "jpeg"}.get(image.format or "")
        except Exception:  # decompression bombs, truncated files …
            return None, "图片已损坏或过大"
    elif data.startswith(b"PK\x03\x04"):
        kind, problem = _office_zip(data)
        if kind is None:
            return None, problem
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Old Office files: the name says which (their content is not opened here).
        kind = {".doc": "doc", ".xls": "xls", ".ppt": "ppt"}.get(extension)
        if kind is None:
            return None, "旧版 Office 文件的扩展名应为 .doc、.xls 或 .ppt"
    else:
        return None, f"只能上传{KIND_NAMES}文件"
    if kind is None:
        return None, f"只能上传{KIND_NAMES}文件"
    if extension not in EXTENSIONS[kind]:
        return None, f"文件名的扩展名“{extension or '无'}”与内容（{kind.upper()}）不符"
    return kind, ""


class EvidenceError(Exception):
    """An evidence file refused; the message says why, in Chinese."""


def limit_text() -> str:
    return f"{KIND_NAMES}，每个不超过 {MAX_BYTES // 1024 // 1024} MB，最多 {MAX_FILES} 个"


def attach(actor: Actor, filing: Filing, uploaded: Any) -> Evidence:
    """Store an evidence file for ``filing`` (the department, while it may edit), once its content
    has been checked in the limited child process; the audit entry records its digest."""
    import hashlib
    import json

    from django.core.files.base import ContentFile
    from django.db import transaction

    from jixiao_web import audit
    from jixiao_web.access import Action, allowed
    from jixiao_web.models import AuditAction, Evidence, Kind
    from jixiao_web.models import Filing as FilingModel
    from jixiao_web.uploads import TIMEOUT_SECONDS, TooManyUploads, admit, reading_slot, run_limited

    name = PurePath(str(uploaded.name or "佐证材料")).name[-150:]
    if uploaded.size is not None and uploaded.size > MAX_BYTES:
        raise EvidenceError(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB，未上传。")
    if actor.user is None or filing.kind != Kind.SELFEVAL or not allowed(actor.user, Action.EDIT, filing):
        raise EvidenceError(f"您不能为“{filing}”上传佐证材料（当前状态：{filing.get_status_display()}）。")
    data = uploaded.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise EvidenceError(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB，未上传。")
    try:  # the same share of the readers as any other upload: per minute, per person, per site
        admit(actor.user)
        with reading_slot(actor.user):
            child = run_limited(["--evidence", name], data)
    except TooManyUploads as error:
        raise EvidenceError(f"“{name}”未上传：{error}") from None
    if child.returncode is None:
        raise EvidenceError(f"检查“{name}”超过 {TIMEOUT_SECONDS} 秒，未上传。")
    try:
        found = json.loads(child.stdout) if child.returncode == 0 else {}
    except ValueError:
        found = {}
    kind = found.get("kind")
    if kind not in EXTENSIONS:
        problem = found.get("problem") or "无法检查这个文件"
        raise EvidenceError(f"“{name}”未上传：{problem}。")
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        current = FilingModel.objects.select_for_update().get(pk=filing.pk)
        if not allowed(actor.user, Action.EDIT, current):
            raise EvidenceError(
                f"您不能为“{current}”上传佐证材料（当前状态：{current.get_status_display()}）。"
            )
        if current.evidence.count() >= MAX_FILES:
            raise EvidenceError(f"每张自评表最多 {MAX_FILES} 个佐证材料。")
        item = Evidence(
            filing=current, name=name, kind=kind, sha256=digest, size=len(data), uploaded_by=actor.user
        )
        item.file.save(f"{digest[:16]}{PurePath(name).suffix.lower()}", ContentFile(data), save=False)
        item.save()
        audit.record(
            actor,
            AuditAction.EVIDENCE_ADD,
            filing=current,
            after={"文件名": name, "类型": kind, "大小": len(data), "哈希": digest, "文件": item.file.name},
        )
    return item
