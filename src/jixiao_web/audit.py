"""The append-only, hash-chained history of every action.

Each entry's ``hash`` is an HMAC-SHA-256 (keyed with ``settings.AUDIT_KEY``, kept in the data dir,
not in the database) of its own content and the previous entry's hash, so altering an entry breaks
its hash — and recomputing the chain needs the key —, deleting one breaks the chain at the next entry, and deleting the last
ones leaves the chain short of :class:`AuditHead`.  :func:`verify` (``jixiao audit verify``) walks the
whole chain and says where it breaks.  Appends lock the head row, so concurrent workers append one
at a time, in the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from jixiao_web.models import AuditEntry, AuditHead, Comment, Export, Version
from jixiao_web.wording import comment_line

if TYPE_CHECKING:
    from jixiao_web.models import Filing, User

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and from which address (None for the command line)."""

    user: User | None
    address: str | None = None
    #: Who acts when nobody is signed in (a failed log-in); "" for the command line.
    name: str = ""


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _content(entry: AuditEntry) -> dict[str, Any]:
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        "seq": entry.seq,
        "at": at,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "address": entry.address,
        "action": entry.action,
        "filing": entry.filing_id,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "previous_hash": entry.previous_hash,
    }


def content_digest(data: Any) -> str:
    """SHA-256 of JSON data in canonical form (a version's table, recorded when it is frozen)."""
    return hashlib.sha256(_canonical({"v": data})).hexdigest()


def key_id() -> str:
    """A fingerprint of the audit key (safe to store beside the chain)."""
    return hashlib.sha256(b"jixiao-audit-key-id:" + settings.AUDIT_KEY.encode()).hexdigest()[:16]


def entry_hash(entry: AuditEntry) -> str:
    return hmac.new(settings.AUDIT_KEY.encode(), _canonical(_content(entry)), hashlib.sha256).hexdigest()


def _no_floats(value: Any) -> None:
    """Refuse floats: PostgreSQL's jsonb may write them back differently, breaking the hash."""
    if isinstance(value, float):
        raise TypeError("操作记录中不能有浮点数（金额请用精确十进制文本）")
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_floats(item)


def record(
    actor: Actor,
    action: str,
    *,
    filing: Filing | None = None,
    target: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry; call inside the transaction that makes the change."""
    _no_floats(before)
    _no_floats(after)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"hash": GENESIS})
        user = actor.user
        entry = AuditEntry(
            seq=head.seq + 1,
            at=datetime.now(UTC),
            actor=user,
            actor_name=str(user) if user is not None else (actor.name or "命令行"),
            address=actor.address,
            action=action,
            filing=filing,
            target=target[:200] or (str(filing) if filing is not None else ""),
            before=before,
            after=after,
            previous_hash=head.hash,
        )
        # Stored JSON must hash the same when read back: round-trip it now.
        entry.before = json.loads(_canonical({"v": before}))["v"]
        entry.after = json.loads(_canonical({"v": after}))["v"]
        entry.hash = entry_hash(entry)
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.key_id = head.key_id or key_id()
        head.save(update_fields=["seq", "hash", "key_id"])
    return entry


@dataclass(frozen=True, slots=True)
class Break:
    """Where the history is broken, and how (Chinese): at an entry of the chain (``seq``), or at a
    frozen version or stored export (``seq`` None)."""

    seq: int | None
    message: str


def verify() -> list[Break]:
    """Every place the chain is broken, and every frozen version or stored export whose content
    no longer matches what was recorded; an empty list means the history is intact."""
    return [*_breaks(), *_altered_versions(), *_altered_comments(), *_altered_exports()]


#: The actions that freeze a version (to the bureau, or to the 部门负责人 first); their entries
#: record its digest.
SUBMITTING_ACTIONS = ("submit", "submit_to_head")
#: The key under which a submit entry records the frozen version's digest.
DIGEST_KEY = "内容哈希"


def _altered_versions() -> Iterator[Break]:
    recorded = {
        (entry.filing_id, entry.after.get("版本")): entry.after.get(DIGEST_KEY)
        for entry in AuditEntry.objects.filter(action__in=SUBMITTING_ACTIONS).only(
            "seq", "filing_id", "after"
        )
        if isinstance(entry.after, dict)
    }
    for version in (
        Version.objects.select_related("filing__department").order_by("pk").iterator(chunk_size=500)
    ):
        digest = recorded.get((version.filing_id, version.number))
        if digest is None:
            yield Break(None, f"“{version.filing}”第{version.number}版没有对应的提交记录（记录被删除或改动）")
        elif content_digest(version.data) != digest:
            yield Break(
                None, f"“{version.filing}”第{version.number}版的内容与提交时记录的哈希值不符（版本被改动）"
            )


#: Actions whose entry lists the comments made with them (``意见``).
COMMENTING_ACTIONS = ("return", "head_return", "approve")


def _altered_comments() -> Iterator[Break]:
    """Every stored comment is in the entry of the action it came with, and every comment an
    entry lists is stored (the comparison is per filing, as a multiset of lines)."""
    from collections import Counter

    recorded: Counter[tuple[int | None, str]] = Counter()
    for entry in AuditEntry.objects.filter(action__in=COMMENTING_ACTIONS).only("filing_id", "after"):
        lines = entry.after.get("意见", []) if isinstance(entry.after, dict) else []
        recorded.update((entry.filing_id, line) for line in lines if isinstance(line, str))
    stored: Counter[tuple[int | None, str]] = Counter(
        (c.filing_id, comment_line(c.section, c.row, c.text))
        for c in Comment.objects.only("filing_id", "section", "row", "text")
    )
    for filing_id, line in sorted((stored - recorded).elements(), key=str):
        yield Break(None, f"审核意见“{line[:60]}”没有对应的操作记录（意见被改动或添加，目标表 {filing_id}）")
    for filing_id, line in sorted((recorded - stored).elements(), key=str):
        yield Break(None, f"操作记录中的审核意见“{line[:60]}”已不在（意见被改动或删除，目标表 {filing_id}）")


def _altered_exports() -> Iterator[Break]:
    for export in (
        Export.objects.select_related("version__filing__department").order_by("pk").iterator(chunk_size=500)
    ):
        try:
            with export.file.open("rb") as handle:
                actual = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            yield Break(None, f"导出文件 {export.file.name} 缺失")
            continue
        if actual != export.sha256:
            yield Break(None, f"导出文件 {export.file.name} 的内容与生成时的哈希值不符（文件被改动）")


def _breaks() -> Iterator[Break]:
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.key_id and head.key_id != key_id():
        yield Break(
            None,
            "校验所用的密钥（数据目录中的 audit_key）不是记录这条链时所用的：请用 --data-dir 指向 jixiao serve 的数据目录。无法判断记录是否被改动。",
        )
        return
    expected_seq, previous = 1, GENESIS
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            yield Break(entry.seq, f"第{expected_seq}至{entry.seq - 1}条记录缺失（被删除）")
        if entry.previous_hash != previous:
            yield Break(entry.seq, f"第{entry.seq}条记录与前一条记录的链接不符（前面的记录被改动或删除）")
        if entry_hash(entry) != entry.hash:
            yield Break(entry.seq, f"第{entry.seq}条记录的内容与其哈希值不符（记录被改动）")
        expected_seq, previous = entry.seq + 1, entry.hash
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, previous):
        yield Break(
            head.seq, f"记录应有{head.seq}条，链尾只到第{expected_seq - 1}条（末尾的记录被删除或改动）"
        )
