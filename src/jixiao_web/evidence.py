"""佐证材料: files a department attaches to its self-evaluation or monitoring report (PDF, images,
office files): the same for both kinds (:data:`KINDS`).

An attached file is untrusted like any upload: its size is capped before it is read, and what it
is comes from its content, found in the same limited child process as uploads
(:func:`jixiao_web.uploads.run_limited`, ``python -m jixiao_web.uploads --evidence NAME``): a PDF
must open, an image must decode, an office file must be a well-formed zip (entries and sizes
capped) or an OLE file of the kind its name says.  Its name must agree with its content.  It is
stored with its SHA-256, and its name, type, size and digest are recorded in the audit chain.

Evidence belongs to the version it was submitted with: freezing a version records the working
copy's files with it (:func:`freeze`, a :class:`~jixiao_web.models.VersionEvidence` each), so a
document returned and submitted again still shows what each version had.  While the department may
edit, it may remove a file (:func:`remove`, audited): the working copy no longer lists it; a file
no version holds is deleted from storage, one a version holds stays for that version.

:func:`sniff` runs in the child and imports no Django; :func:`attach` runs in the web process and
starts a job; :func:`attach_checked` (the job, in ``jixiao worker``) runs the child and stores the file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from jixiao_web.audit import Actor
    from jixiao_web.models import Evidence, Filing, Job, Version

#: The document kinds that take evidence (``Kind`` values: no Django import here).
KINDS: Final = ("selfeval", "monitoring")

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
#: Files per document (its working copy).
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


def _noun(filing: Filing) -> str:
    from jixiao_web.workflow import workflow_for

    return workflow_for(filing).noun


def _refused(filing: Filing, what: str) -> EvidenceError:
    return EvidenceError(f"您不能为“{filing}”{what}佐证材料（当前状态：{filing.get_status_display()}）。")


def _may_edit(actor: Actor, filing: Filing) -> bool:
    from jixiao_web.access import Action, allowed

    return actor.user is not None and filing.kind in KINDS and allowed(actor.user, Action.EDIT, filing)


def current(filing: Filing) -> QuerySet[Evidence]:
    """The working copy's evidence: every file attached and not removed."""
    return filing.evidence.filter(removal__isnull=True).select_related("uploaded_by")


def of_version(version: Version) -> QuerySet[Evidence]:
    """The evidence ``version`` was submitted with."""
    from jixiao_web.models import Evidence

    return Evidence.objects.filter(versions__version=version).select_related("uploaded_by").order_by("pk")


def freeze(version: Version) -> list[str]:
    """Record the working copy's evidence as ``version``'s (called as it is frozen); the stored
    names, for the submission's audit entry."""
    from jixiao_web.models import VersionEvidence

    if version.filing.kind not in KINDS:
        return []
    items = list(current(version.filing).order_by("pk"))
    VersionEvidence.objects.bulk_create([VersionEvidence(version=version, evidence=e) for e in items])
    return [str(e.file.name) for e in items]


def recorded(item: Evidence, data_len: int | None = None) -> dict[str, Any]:
    """What the audit chain records of an evidence file (and checks again: ``audit verify``)."""
    return {
        "文件名": item.name,
        "类型": item.kind,
        "大小": item.size if data_len is None else data_len,
        "哈希": item.sha256,
        "文件": item.file.name,
    }


def _admitted(actor: Actor, filing: Filing, uploaded: Any) -> tuple[str, bytes]:
    """The name and bytes of an evidence file ``actor`` may attach to ``filing`` (the department,
    while it may edit): its size and the person's share of uploads checked."""
    from jixiao_web.uploads import TooManyUploads, admit

    name = PurePath(str(uploaded.name or "佐证材料")).name[-150:]
    if uploaded.size is not None and uploaded.size > MAX_BYTES:
        raise EvidenceError(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB，未上传。")
    if not _may_edit(actor, filing):
        raise _refused(filing, "上传")
    assert actor.user is not None
    data = uploaded.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise EvidenceError(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB，未上传。")
    try:  # the same share of the readers as any other upload: per minute, per person
        from jixiao_web.jobs import admit_reading

        admit_reading(actor.user)
        admit(actor.user)
    except TooManyUploads as error:
        raise EvidenceError(f"“{name}”未上传：{error}") from None
    return name, data


def attach_later(actor: Actor, filing: Filing, uploaded: Any) -> Job:
    """Accept an evidence file; its content is checked and the file stored by the background worker
    (:func:`attach_checked`, a job the page follows: queue).  What the web pages use."""
    from jixiao_web import jobs
    from jixiao_web.models import JobKind

    name, data = _admitted(actor, filing, uploaded)
    return jobs.start(
        JobKind.EVIDENCE, user=actor.user, filing=filing, address=actor.address, name=name, data=data
    )


def attach(actor: Actor, filing: Filing, uploaded: Any) -> Evidence:
    """Check and store an evidence file in this process (scripts, and tests about other things)."""
    name, data = _admitted(actor, filing, uploaded)
    return attach_checked(actor, filing, name, data)


def attach_checked(actor: Actor, filing: Filing, name: str, data: bytes) -> Evidence:
    """Store an evidence file once its content has been checked in the limited child process (the
    worker's part of :func:`attach`); the audit entry records its digest.  Run again (a worker
    killed mid-way), it stores the same file once."""
    import hashlib
    import json

    from django.core.files.base import ContentFile
    from django.db import transaction

    from jixiao_web import audit
    from jixiao_web.models import AuditAction, Evidence
    from jixiao_web.models import Filing as FilingModel
    from jixiao_web.uploads import TIMEOUT_SECONDS, run_limited

    child = run_limited(["--evidence", name], data)
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
        locked = FilingModel.objects.select_for_update().get(pk=filing.pk)
        if not _may_edit(actor, locked):
            raise _refused(locked, "上传")
        again = current(locked).filter(sha256=digest, name=name).first()
        if again is not None:  # the same file, already stored (by an attempt that was cut short)
            return again
        if current(locked).count() >= MAX_FILES:
            raise EvidenceError(f"每张{_noun(locked)}最多 {MAX_FILES} 个佐证材料，请先删除不需要的文件。")
        item = Evidence(
            filing=locked, name=name, kind=kind, sha256=digest, size=len(data), uploaded_by=actor.user
        )
        item.file.save(f"{digest[:16]}{PurePath(name).suffix.lower()}", ContentFile(data), save=False)
        item.save()
        audit.record(actor, AuditAction.EVIDENCE_ADD, filing=locked, after=recorded(item))
    return item


def remove(actor: Actor, filing: Filing, item_pk: int) -> Evidence:
    """Take an evidence file off ``filing``'s working copy (the department, while it may edit),
    recorded in the audit chain; its stored file is deleted unless a submitted version holds it."""
    from django.db import transaction

    from jixiao_web import audit
    from jixiao_web.models import AuditAction, EvidenceRemoval
    from jixiao_web.models import Filing as FilingModel

    with transaction.atomic():
        locked = FilingModel.objects.select_for_update().get(pk=filing.pk)
        if not _may_edit(actor, locked):
            raise _refused(locked, "删除")
        assert actor.user is not None
        item = current(locked).filter(pk=item_pk).first()
        if item is None:
            raise EvidenceError("没有这份佐证材料，或它已被删除。")
        kept = item.versions.exists()
        EvidenceRemoval.objects.create(evidence=item, by=actor.user)
        audit.record(
            actor,
            AuditAction.EVIDENCE_REMOVE,
            filing=locked,
            before=recorded(item),
            after={"文件": item.file.name, "保留于已提交版本": kept},
        )
        if not kept:  # nobody received it: gone for good once the removal is committed
            name, storage = str(item.file.name), item.file.storage
            transaction.on_commit(lambda: storage.delete(name))
    return item


def may_download(user: Any, filing: Filing, item: Evidence) -> bool:
    """佐证材料 are the department's and the finance bureau's only (never the public's): the
    department's own files (not deleted from storage), and for the bureau those of the versions it
    received (and nobody took back)."""
    from jixiao_web.access import FINANCE, Action, allowed

    if not getattr(user, "is_authenticated", False) or item.filing_id != filing.pk:
        return False
    if user.role in FINANCE:
        return (
            allowed(user, Action.HISTORY, filing)
            and item.versions.filter(
                version__received__isnull=False, version__withdrawal__isnull=True
            ).exists()
        )
    return allowed(user, Action.DRAFT, filing) and (not hasattr(item, "removal") or item.versions.exists())


#: Where each kind's evidence is attached, removed and downloaded (URL names).
URLS: Final = {
    kind: {"add": f"{kind}-evidence", "remove": f"{kind}-evidence-remove", "get": f"{kind}-evidence-download"}
    for kind in KINDS
}


def panel(user: Any, filing: Filing, can: Any) -> dict[str, Any]:
    """What a document's page shows of its evidence: for the department the working copy's files
    (removable while it may edit), and for everyone who may read them each version's files as it
    was submitted (the bureau: the versions it received)."""
    from jixiao_web import selectors
    from jixiao_web.access import Action

    department = Action.DRAFT in can
    versions = [
        (version, list(of_version(version)))
        for version in selectors.versions_of(filing, user, can).order_by("-number")
    ]
    return {
        "current": list(current(filing)) if department else None,
        "versions": versions,
        "may_attach": Action.EDIT in can,
        "limit": limit_text(),
        "urls": URLS.get(filing.kind, {}),
        "noun": _noun(filing),
    }
