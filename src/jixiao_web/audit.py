"""The append-only, hash-chained history of every action, and what it proves.

Each entry's ``hash`` is an HMAC-SHA-256 (keyed with ``settings.AUDIT_KEY``, kept in the data dir,
not in the database) of its own content and the previous entry's hash, so altering an entry breaks
its hash — and recomputing the chain needs the key —, deleting one breaks the chain at the next
entry, and deleting the last ones leaves the chain short of :class:`AuditHead`, whose ``mac`` (keyed
too) keeps the head from being rewound to an earlier entry without the key.  Appends lock the head
row, so concurrent workers append one at a time, in the same transaction as the change they record.

The chain decides what is true: each submission records the frozen version's identity (content and
report digests, who, when, when the finance bureau received it), each workflow step the filing's
resulting state (status, received and published versions, grade), each rendering of a download its
file and digest.  :func:`verify` (``jixiao audit verify``) walks the chain, says where it breaks, and
compares the tables with what the chain derives.  Whoever holds database and key together can still
rewrite everything after the last :func:`checkpoint` the bureau keeps elsewhere: :func:`verify`
given checkpoints proves that nothing up to each of them changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jixiao_web.models import (
    AuditAction,
    AuditEntry,
    AuditHead,
    Comment,
    Export,
    Filing,
    Received,
    Status,
    Version,
)
from jixiao_web.wording import comment_line
from jixiao_web.workflow import TARGET, Need

if TYPE_CHECKING:
    from jixiao_web.models import User

GENESIS = "0" * 64


class WrongAuditKey(RuntimeError):
    """This process's audit key is not the one the chain was written with (the message is Chinese)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and from which address (None for the command line); ``name`` names an actor
    that is no user (the system rendering a download)."""

    user: User | None
    address: str | None = None
    #: Who acts when nobody is signed in (a failed log-in); "" for the command line.
    name: str = ""


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _content(entry: AuditEntry) -> dict[str, Any]:
    at = utc_text(entry.at)
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


def head_mac(seq: int, hash: str) -> str:
    """The head's keyed seal over (seq, hash): without the key the head cannot be rewound."""
    message = f"jixiao-audit-head:{seq}:{hash}".encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def utc_text(moment: datetime) -> str:
    """A moment as the chain records it: ISO 8601 in UTC, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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
    action: AuditAction,
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
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"hash": GENESIS, "mac": head_mac(0, GENESIS)}
        )
        if head.key_id and head.key_id != key_id():
            # ops: a node started with another key would write entries no other node verifies.
            raise WrongAuditKey(
                "本节点的操作记录密钥（audit_key）不是记录这条链时所用的，拒绝写入操作记录："
                "多节点部署时请为每个节点设置相同的 JIXIAO_AUDIT_KEY（或 JIXIAO_AUDIT_KEY_FILE）。"
            )
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
        head.seq, head.hash, head.mac = entry.seq, entry.hash, head_mac(entry.seq, entry.hash)
        head.key_id = head.key_id or key_id()
        head.save(update_fields=["seq", "hash", "mac", "key_id"])
    return entry


@dataclass(frozen=True, slots=True)
class Break:
    """Where the history is broken, and how (Chinese): at an entry of the chain (``seq``), or at a
    frozen version, filing or stored export (``seq`` None)."""

    seq: int | None
    message: str


def verify(checkpoints: Sequence[Checkpoint] = ()) -> list[Break]:
    """Every place the chain is broken, every checkpoint it no longer reaches, and every version,
    receipt, comment, filing or stored export that differs from what the chain recorded; an empty
    list means the history is intact."""
    return [
        *_breaks(),
        *_checkpoint_breaks(checkpoints),
        *_altered_versions(),
        *_altered_receipts(),
        *_altered_comments(),
        *_altered_filings(),
        *_altered_exports(),
        *_altered_score_reviews(),
        *_altered_evidence(),
        *_altered_rounds(),
    ]


#: The actions that freeze a version (to the bureau, or to the 部门负责人 first); their entries
#: record its identity (:func:`version_identity`).
SUBMITTING_ACTIONS = TARGET.audit_actions(freezes=True)
#: The actions by which the finance bureau receives a version; their entries record when.
RECEIVING_ACTIONS = TARGET.audit_actions(receives=True)
#: The key under which an entry names the version it acts on.
VERSION_KEY = "版本"
#: The key under which a submit entry records the frozen version's digest.
DIGEST_KEY = "内容哈希"
RECEIVED_AT_KEY = "收到时间"
#: A version's identity as its submission records it: key → what it is called in a message.
IDENTITY: Final = {
    DIGEST_KEY: "内容",
    "校验结果哈希": "校验结果",
    "提交人编号": "提交人",
    "提交时间": "提交时间",
    "错误数": "错误数",
    "警告数": "警告数",
    # monup: the evidence files it was submitted with (self-evaluations, monitoring reports)
    "佐证材料": "佐证材料",
}
#: The key under which a submission lists the evidence files frozen with the version.
EVIDENCE_KEY = "佐证材料"


def version_identity(version: Version) -> dict[str, Any]:
    """What the submission entry records of the version it freezes (for a kind that takes
    evidence, the stored names of the files frozen with it)."""
    from jixiao_web.evidence import KINDS

    identity: dict[str, Any] = {
        DIGEST_KEY: content_digest(version.data),
        "校验结果哈希": content_digest(version.report),
        "提交人编号": version.created_by_id,
        "提交时间": utc_text(version.created_at),
        "错误数": version.errors,
        "警告数": version.warnings,
    }
    if version.filing.kind in KINDS:
        identity[EVIDENCE_KEY] = sorted(version.evidence.values_list("evidence__file", flat=True))
    return identity


def receipt(received: Received) -> dict[str, Any]:
    """What the entry that makes the finance bureau receive a version records of it."""
    return {RECEIVED_AT_KEY: utc_text(received.at)}


def _recorded(actions: Sequence[AuditAction]) -> dict[tuple[int | None, Any], dict[str, Any]]:
    """The latest entry of ``actions`` per (filing, version number), by its ``after``."""
    return {
        (entry.filing_id, entry.after.get(VERSION_KEY)): entry.after
        for entry in AuditEntry.objects.filter(action__in=actions)
        .order_by("seq")
        .only("seq", "filing_id", "after")
        .iterator(chunk_size=2000)
        if isinstance(entry.after, dict)
    }


def _altered_versions() -> Iterator[Break]:
    recorded = _recorded(SUBMITTING_ACTIONS)
    for version in (
        Version.objects.select_related("filing__department").order_by("pk").iterator(chunk_size=500)
    ):
        after = recorded.get((version.filing_id, version.number))
        if after is None:
            yield Break(None, f"“{version.filing}”第{version.number}版没有对应的提交记录（记录被删除或改动）")
            continue
        identity = version_identity(version)
        if identity[DIGEST_KEY] != after.get(DIGEST_KEY):
            yield Break(
                None, f"“{version.filing}”第{version.number}版的内容与提交时记录的哈希值不符（版本被改动）"
            )
        for key, name in IDENTITY.items():
            if key != DIGEST_KEY and key in after and after[key] != identity.get(key):
                yield Break(
                    None, f"“{version.filing}”第{version.number}版的{name}与提交时的记录不符（版本被改动）"
                )


def _altered_receipts() -> Iterator[Break]:
    """The versions the finance bureau received are those the chain says, received when it says."""
    recorded = _recorded(RECEIVING_ACTIONS)
    seen = set()
    for received in Received.objects.select_related("version__filing__department").order_by("pk"):
        version = received.version
        key = (version.filing_id, version.number)
        seen.add(key)
        after = recorded.get(key)
        if after is None:
            yield Break(
                None, f"“{version.filing}”第{version.number}版没有财政局收到它的操作记录（收到记录被添加）"
            )
        elif RECEIVED_AT_KEY in after and after[RECEIVED_AT_KEY] != utc_text(received.at):
            yield Break(None, f"“{version.filing}”第{version.number}版的收到时间与操作记录不符（被改动）")
    for filing_id, number in sorted(set(recorded) - seen, key=str):
        yield Break(None, f"操作记录中财政局收到的第{number}版（目标表 {filing_id}）已没有收到记录（被删除）")


#: Actions whose entry lists the comments made with them (``意见``).
COMMENTING_ACTIONS = TARGET.audit_actions(comments=True)
#: The key under which an entry lists the comments made with it.
COMMENTS_KEY = "意见"


def _altered_comments() -> Iterator[Break]:
    """Every stored comment is in the entry of the action it came with, and every comment an
    entry lists is stored (the comparison is per filing, as a multiset of lines)."""
    from collections import Counter

    recorded: Counter[tuple[int | None, str]] = Counter()
    for entry in AuditEntry.objects.filter(action__in=COMMENTING_ACTIONS).only("filing_id", "after"):
        lines = entry.after.get(COMMENTS_KEY, []) if isinstance(entry.after, dict) else []
        recorded.update((entry.filing_id, line) for line in lines if isinstance(line, str))
    stored: Counter[tuple[int | None, str]] = Counter(
        (c.filing_id, comment_line(c.section, c.row, c.text))
        for c in Comment.objects.only("filing_id", "section", "row", "text")
    )
    for filing_id, line in sorted((stored - recorded).elements(), key=str):
        yield Break(None, f"审核意见“{line[:60]}”没有对应的操作记录（意见被改动或添加，目标表 {filing_id}）")
    for filing_id, line in sorted((recorded - stored).elements(), key=str):
        yield Break(None, f"操作记录中的审核意见“{line[:60]}”已不在（意见被改动或删除，目标表 {filing_id}）")


# ---------------------------------------------------------------------------------------------
# The state of every filing, as the chain derives it

STATUS_KEY = "状态"
RECEIVED_KEY = "收到版本"
PUBLISHED_KEY = "发布版本"
GRADE_KEY = "等级"
PUBLISHED_AT_KEY = "发布时间"
_STATUS_BY_LABEL: Final = {status.label: status for status in Status}


@dataclass(frozen=True, slots=True)
class FilingState:
    """What the chain says of a filing: its status, the numbers of the versions the finance bureau
    received last and published, and its grade."""

    status: Status
    received: int | None = None
    published: int | None = None
    grade: str = ""
    #: When it was published (ISO, UTC), as the publish entry records it.
    published_at: str | None = None


def filing_state(filing: Filing) -> dict[str, Any]:
    """The filing's state as a workflow entry records it (after its change)."""
    received, published = filing.received_version, filing.published_version
    return {
        STATUS_KEY: Status(filing.status).label,
        RECEIVED_KEY: received.number if received is not None else None,
        PUBLISHED_KEY: published.number if published is not None else None,
        GRADE_KEY: filing.grade,
    }


def _next_state(state: FilingState, action: str, after: dict[str, Any]) -> FilingState:
    state = replace(state, published_at=after.get(PUBLISHED_AT_KEY, state.published_at))
    status = _STATUS_BY_LABEL.get(after.get(STATUS_KEY, ""), state.status)
    if RECEIVED_KEY in after:  # the entry records the whole state
        received, published, grade = after[RECEIVED_KEY], after.get(PUBLISHED_KEY), after.get(GRADE_KEY, "")
        return FilingState(status, received, published, grade, state.published_at)
    # Entries written before the state was recorded: it follows from what the workflow table says
    # their transition does.
    if action == AuditAction.START:
        return FilingState(TARGET.initial)
    step = _TRANSITIONS.get(action)
    if step is None:
        return replace(state, status=status)
    version = after.get(VERSION_KEY)
    return replace(
        state,
        status=status,
        received=version if step.receives else state.received,
        published=version if step.publishes else state.published,
        grade="" if step.freezes else after.get(GRADE_KEY, "") if step.grade is not Need.NO else state.grade,
    )


_TRANSITIONS: Final = {step.audit.value: step for step in TARGET.transitions}


def derived_states() -> dict[int, FilingState]:
    """Every filing's state, replayed from the chain."""
    states: dict[int, FilingState] = {}
    for entry in (
        AuditEntry.objects.filter(filing__isnull=False)
        .exclude(action__in=(AuditAction.SAVE, AuditAction.EXPORT))
        .order_by("seq")
        .only("seq", "filing_id", "action", "after")
        .iterator(chunk_size=2000)
    ):
        assert entry.filing_id is not None
        after = entry.after if isinstance(entry.after, dict) else {}
        state = states.get(entry.filing_id, FilingState(TARGET.initial))
        states[entry.filing_id] = _next_state(state, entry.action, after)
    return states


def _version_name(number: int | None) -> str:
    return f"第{number}版" if number is not None else "无"


def _owned(number: int | None, owner: int | None, filing_id: int) -> str:
    """A filing's version pointer named, and marked when it points at another filing's version."""
    return _version_name(number) + ("（另一张表的）" if owner not in (None, filing_id) else "")


def _altered_filings() -> Iterator[Break]:
    """Every filing's status, received and published versions and grade are what the chain says."""
    states = derived_states()
    for row in Filing.objects.order_by("pk").values(
        "pk",
        "year",
        "department__name",
        "status",
        "grade",
        "received_version__number",
        "received_version__filing_id",
        "published_version__number",
        "published_version__filing_id",
        "published_at",
    ):
        name = f"“{row['department__name']} {row['year']}年度”"
        state = states.get(row["pk"])
        if state is None:
            yield Break(None, f"{name}没有创建它的操作记录（目标表被添加）")
            continue

        status = Status(row["status"]).label if row["status"] in Status.values else row["status"]
        pairs = [
            ("状态", status, state.status.label),
            (
                "财政局收到的版本",
                _owned(row["received_version__number"], row["received_version__filing_id"], row["pk"]),
                _version_name(state.received),
            ),
            (
                "发布版本",
                _owned(row["published_version__number"], row["published_version__filing_id"], row["pk"]),
                _version_name(state.published),
            ),
            ("审核等级", row["grade"] or "无", state.grade or "无"),
        ]
        if state.published_at is not None:
            published_at = row["published_at"]
            pairs.append(("发布时间", utc_text(published_at) if published_at else "无", state.published_at))
        for what, actual, expected in pairs:
            if actual != expected:
                yield Break(None, f"{name}的{what}是“{actual}”，操作记录中是“{expected}”（目标表被改动）")


# ---------------------------------------------------------------------------------------------
# Downloads

EXPORT_FORMAT_KEY = "格式"
EXPORT_FILE_KEY = "文件"
EXPORT_DIGEST_KEY = "哈希"


def _altered_exports() -> Iterator[Break]:
    """Each stored download is the file the chain recorded when it was rendered, and has the
    digest recorded there (not merely the one stored beside it)."""
    recorded = {
        (entry.filing_id, entry.after.get(VERSION_KEY), entry.after.get(EXPORT_FORMAT_KEY)): entry.after
        for entry in AuditEntry.objects.filter(action=AuditAction.EXPORT)
        .order_by("seq")
        .only("filing_id", "after")
        if isinstance(entry.after, dict)
    }
    for export in (
        Export.objects.select_related("version__filing__department").order_by("pk").iterator(chunk_size=500)
    ):
        version = export.version
        after = recorded.get((version.filing_id, version.number, export.format))
        if after is None:
            yield Break(None, f"导出文件 {export.file.name} 没有生成它的操作记录（导出记录被添加或改动）")
            continue
        digest = after.get(EXPORT_DIGEST_KEY)
        if export.file.name != after.get(EXPORT_FILE_KEY) or export.sha256 != digest:
            yield Break(
                None,
                f"“{version}”的 {export.format} 导出记录指向 {export.file.name}，"
                f"操作记录中是 {after.get(EXPORT_FILE_KEY)}（导出记录被改动）",
            )
        try:
            with export.file.open("rb") as handle:
                actual = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            yield Break(None, f"导出文件 {export.file.name} 缺失")
            continue
        if actual != digest:
            yield Break(None, f"导出文件 {export.file.name} 的内容与生成时记录的哈希值不符（文件被改动）")


# ---------------------------------------------------------------------------------------------
# The chain itself, its head and checkpoints


def _breaks() -> Iterator[Break]:
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.key_id and head.key_id != key_id():
        yield Break(
            None,
            "校验所用的密钥（数据目录中的 audit_key，或环境变量 JIXIAO_AUDIT_KEY / JIXIAO_AUDIT_KEY_FILE 给出的）"
            "不是记录这条链时所用的：请用 --data-dir 指向 jixiao serve 的数据目录，或设置与记录时相同的密钥。"
            "无法判断记录是否被改动。",
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
    if head is None:
        if expected_seq > 1:
            yield Break(None, "链尾记录缺失（被删除）：无法确认末尾的记录是否完整")
        return
    if head.mac != head_mac(head.seq, head.hash):
        yield Break(
            head.seq, f"链尾（第{head.seq}条）与密钥签名不符：链尾被改动或回退（末尾的记录可能被删除）"
        )
    if (head.seq, head.hash) != (expected_seq - 1, previous):
        yield Break(
            head.seq, f"记录应有{head.seq}条，链尾只到第{expected_seq - 1}条（末尾的记录被删除或改动）"
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of the chain at a moment (``seq``, ``hash``, the time of that entry), written to
    a file the bureau keeps outside the database and the data dir."""

    seq: int
    hash: str
    at: str
    key_id: str = ""
    written_at: str = ""

    FORMAT: ClassVar[str] = "jixiao-audit-checkpoint/1"

    def to_json(self) -> str:
        content = {"format": self.FORMAT, **{f.name: getattr(self, f.name) for f in fields(self)}}
        content["note"] = (
            "jixiao 操作记录链的检查点：请保存在数据库和数据目录之外。"
            "jixiao audit verify --checkpoint 本文件 可证明此前的记录没有被改动或删除。"
        )
        return json.dumps(content, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """A checkpoint read back; ValueError (in Chinese) when ``text`` is not one."""
        try:
            fields = json.loads(text)
        except ValueError:
            raise ValueError("不是检查点文件（不是 JSON）") from None
        if not isinstance(fields, dict) or fields.get("format") != cls.FORMAT:
            raise ValueError("不是 jixiao 操作记录检查点文件")
        seq, digest = fields.get("seq"), fields.get("hash")
        if not isinstance(seq, int) or seq < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("检查点文件中的序号或哈希值无效")
        return cls(
            seq,
            digest,
            str(fields.get("at", "")),
            str(fields.get("key_id", "")),
            str(fields.get("written_at", "")),
        )

    @property
    def moment(self) -> datetime | None:
        """The time of its entry (None when unknown)."""
        try:
            return datetime.fromisoformat(self.at)
        except ValueError:
            return None

    @property
    def when(self) -> str:
        """The time of its entry, local, for messages."""
        moment = self.moment
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "时间不详"


def checkpoint() -> Checkpoint:
    """The head of the chain now."""
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return Checkpoint(0, GENESIS, "", key_id(), utc_text(datetime.now(UTC)))
    entry = AuditEntry.objects.filter(seq=head.seq).only("at").first()
    at = utc_text(entry.at) if entry is not None else ""
    return Checkpoint(head.seq, head.hash, at, head.key_id or key_id(), utc_text(datetime.now(UTC)))


def _checkpoint_breaks(checkpoints: Sequence[Checkpoint]) -> Iterator[Break]:
    """The chain still reaches each checkpoint, through the same entry: since every hash covers the
    one before, nothing up to it changed."""
    for point in checkpoints:
        if point.seq == 0:
            continue
        entry = AuditEntry.objects.filter(seq=point.seq).only("hash").first()
        if entry is None:
            yield Break(
                point.seq,
                f"检查点（{point.when}）记录的第{point.seq}条已不在：此后的记录被删除，链被回退",
            )
        elif entry.hash != point.hash:
            yield Break(
                point.seq,
                f"第{point.seq}条记录的哈希值与检查点（{point.when}）不符：此前的记录被改写",
            )


# ---------------------------------------------------------------------------------------------
# selfeval: the bureau's reviewed scores (复核) and the evidence files (佐证材料)


def _review_key(filing_id: int | None, version: Any, row: Any, score: Any, reason: Any) -> tuple[Any, ...]:
    return (filing_id, version, row, str(score), reason)


def _altered_score_reviews() -> Iterator[Break]:
    """Every reviewed score is the one its entry records (version, row, score, reason), and every
    entry's reviewed score is stored (compared as multisets per filing)."""
    from collections import Counter

    from jixiao_web.models import ScoreReview

    recorded: Counter[tuple[Any, ...]] = Counter(
        _review_key(
            e.filing_id,
            e.after.get(VERSION_KEY),
            e.after.get("指标行"),
            e.after.get("复核得分"),
            e.after.get("复核理由"),
        )
        for e in AuditEntry.objects.filter(action=AuditAction.SCORE_REVIEW).only("filing_id", "after")
        if isinstance(e.after, dict)
    )
    stored: Counter[tuple[Any, ...]] = Counter(
        _review_key(r.filing_id, r.version.number, r.row, r.score, r.reason)
        for r in ScoreReview.objects.select_related("version")
    )
    for key in sorted((stored - recorded).elements(), key=str):
        yield Break(
            None,
            f"复核得分（自评表 {key[0]} 第{key[2]}个指标：{key[3]} 分）没有对应的操作记录（被改动或添加）",
        )
    for key in sorted((recorded - stored).elements(), key=str):
        yield Break(
            None,
            f"操作记录中的复核得分（自评表 {key[0]} 第{key[2]}个指标：{key[3]} 分）已不在（被改动或删除）",
        )
    # The review that counts for a row is the last one made: the chain's order decides, not a
    # stored date or id someone could change.
    last_recorded: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for e in (
        AuditEntry.objects.filter(action=AuditAction.SCORE_REVIEW)
        .order_by("seq")
        .only("filing_id", "after", "actor_id")
    ):
        if isinstance(e.after, dict):
            where = (e.filing_id, e.after.get(VERSION_KEY), e.after.get("指标行"))
            last_recorded[where] = _review_key(*where, e.after.get("复核得分"), e.after.get("复核理由"))
    counting: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in ScoreReview.objects.select_related("version").order_by("pk"):
        counting[(r.filing_id, r.version.number, r.row)] = _review_key(
            r.filing_id, r.version.number, r.row, r.score, r.reason
        )
    for where, review in sorted(counting.items(), key=str):
        if last_recorded.get(where) not in (None, review):
            yield Break(
                None,
                f"自评表 {where[0]} 第{where[2]}个指标生效的复核得分（{review[3]} 分）不是操作记录中最后一次复核"
                "（复核的先后被改动）",
            )


def _altered_rounds() -> Iterator[Break]:
    """Every self-evaluation round's profile (which scores every department) and deadline are the
    ones its last opening recorded."""
    from django.utils import timezone

    from jixiao_web.models import SelfEvalRound

    recorded: dict[str, dict[str, Any]] = {}
    for e in (
        AuditEntry.objects.filter(action=AuditAction.SELFEVAL_OPEN).order_by("seq").only("target", "after")
    ):
        if isinstance(e.after, dict):
            recorded[e.target] = e.after
    for round_ in SelfEvalRound.objects.order_by("year"):
        after = recorded.get(str(round_))
        deadline = timezone.localtime(round_.deadline).strftime("%Y-%m-%d %H:%M")
        if after is None:
            yield Break(None, f"{round_}没有开启的操作记录（被添加）")
        elif after.get("评分设定哈希") != content_digest(round_.profile) or after.get("截止时间") != deadline:
            yield Break(None, f"{round_}的评分设定或截止时间与操作记录不同（被改动）")


def _altered_evidence() -> Iterator[Break]:
    """Every evidence file is the one its entry records (name, type, size and digest), its content
    still has that digest, and every removal is the one its entry records; a file removed before
    any version held it is gone from storage, as its removal said."""
    from jixiao_web.models import Evidence

    recorded = {
        (e.filing_id, e.after.get("文件")): e.after
        for e in AuditEntry.objects.filter(action=AuditAction.EVIDENCE_ADD).only("filing_id", "after")
        if isinstance(e.after, dict)
    }
    removals = {
        (e.filing_id, e.after.get("文件")): e.after
        for e in AuditEntry.objects.filter(action=AuditAction.EVIDENCE_REMOVE).only("filing_id", "after")
        if isinstance(e.after, dict)
    }
    fields = {"文件名": "name", "类型": "kind", "大小": "size", EXPORT_DIGEST_KEY: "sha256"}
    seen, removed = set(), set()
    for item in Evidence.objects.select_related("removal").order_by("pk"):
        key = (item.filing_id, item.file.name)
        seen.add(key)
        after = recorded.get(key)
        if after is None or after.get(EXPORT_DIGEST_KEY) != item.sha256:
            yield Break(None, f"佐证材料 {item.file.name} 与上传时的操作记录不符（被添加或改动）")
            continue
        differ = [
            label for label, name in fields.items() if label in after and after[label] != getattr(item, name)
        ]
        if differ:
            yield Break(
                None,
                f"佐证材料 {item.file.name} 的{'、'.join(differ)}与上传时的操作记录不符（被改动）",
            )
        gone = False
        if hasattr(item, "removal"):
            removed.add(key)
            if key not in removals:
                yield Break(None, f"佐证材料 {item.file.name} 被标为删除，但没有删除的操作记录（被改动）")
            gone = not removals.get(key, {}).get("保留于已提交版本", True)
        try:
            with item.file.open("rb") as handle:
                actual = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            if not gone:
                yield Break(None, f"佐证材料 {item.file.name} 缺失")
            continue
        if actual != item.sha256:
            yield Break(None, f"佐证材料 {item.file.name} 的内容与上传时记录的哈希值不符（文件被改动）")
    for filing_id, name in sorted(set(recorded) - seen, key=str):
        yield Break(None, f"操作记录中的佐证材料 {name}（文件所属 {filing_id}）已不在（被删除）")
    for filing_id, name in sorted(set(removals) - removed, key=str):
        yield Break(None, f"操作记录中删除的佐证材料 {name}（文件所属 {filing_id}）没有删除记录（被改动）")
