"""The audit chain decides what is true (issue 9, item 1): each tampering below is done as an
attacker who owns the database would do it (triggers dropped, rows changed with SQL), and
``audit verify`` must catch it; what only a checkpoint kept elsewhere can catch is shown too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao_web import audit, services
from jixiao_web.audit import Actor, Checkpoint, FilingState
from jixiao_web.models import (
    AuditAction,
    AuditEntry,
    AuditHead,
    City,
    Department,
    Export,
    Filing,
    Received,
    Status,
    User,
    Version,
)
from jixiao_web.services import ReviewComment

from .conftest import YEAR, child_env, rolled_back, run_jixiao


def problems(*checkpoints: Checkpoint) -> list[str]:
    return [problem.message for problem in audit.verify(checkpoints)]


def rewind_head(seq: int, *, with_key: bool) -> None:
    """Point the head at entry ``seq``; with the key, seal it as :func:`audit.record` would."""
    digest = AuditEntry.objects.get(seq=seq).hash
    if with_key:
        AuditHead.objects.update(seq=seq, hash=digest, mac=audit.head_mac(seq, digest))
    else:
        AuditHead.objects.update(seq=seq, hash=digest)


def returned_then_resubmitted(draft: Filing, actor: Callable[[str], Actor]) -> tuple[Version, Version]:
    """Version 1 returned (grade 中, a comment), version 2 submitted: entries 1–4."""
    first = services.submit(actor("filer"), draft)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, "请细化")], "中")
    second = services.submit(actor("filer"), draft)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        AuditAction.START,
        AuditAction.SUBMIT,
        AuditAction.RETURN,
        AuditAction.SUBMIT,
    ]
    assert audit.verify() == []
    return first, second


# ---------------------------------------------------------------------------------------------
# Deleting the tail, and a whole submission


def test_the_last_entries_deleted_and_the_head_rewound(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    kept = audit.checkpoint()
    assert (kept.seq, kept.hash) == (3, AuditEntry.objects.get(seq=3).hash)
    # The approval erased: its entry gone, the filing back to what the chain then says.
    AuditEntry.objects.filter(seq=3).delete()
    Filing.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED, grade="")
    with rolled_back():
        rewind_head(2, with_key=False)
        assert problems() == ["链尾（第2条）与密钥签名不符：链尾被改动或回退（末尾的记录可能被删除）"]
    # Whoever holds the key as well can seal the rewound head: only a checkpoint kept elsewhere
    # tells then (what the README says verify cannot prove without one).
    rewind_head(2, with_key=True)
    assert problems() == []
    assert problems(kept) == [f"检查点（{kept.when}）记录的第3条已不在：此后的记录被删除，链被回退"]


def test_a_whole_submission_erased(draft: Filing, actor: Callable[[str], Actor], tampering: None) -> None:
    first, second = returned_then_resubmitted(draft, actor)
    kept = audit.checkpoint()
    # Its entry, its receipt and its version gone; the filing back to "returned", as before it.
    AuditEntry.objects.filter(seq=4).delete()
    Filing.objects.filter(pk=draft.pk).update(status=Status.RETURNED, received_version=first, grade="中")
    Received.objects.filter(version=second).delete()
    Version.objects.filter(pk=second.pk).delete()
    with rolled_back():
        rewind_head(3, with_key=False)
        assert problems() == ["链尾（第3条）与密钥签名不符：链尾被改动或回退（末尾的记录可能被删除）"]
    rewind_head(3, with_key=True)
    assert problems() == []
    assert [problem.seq for problem in audit.verify([kept])] == [4]


def test_a_submission_erased_but_the_filing_left_as_it_was(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    """The head sealed (the key), the entries gone: the filing's state gives it away."""
    returned_then_resubmitted(draft, actor)
    AuditEntry.objects.filter(seq=4).delete()
    rewind_head(3, with_key=True)
    assert problems() == [
        f"“{draft}”第2版没有对应的提交记录（记录被删除或改动）",
        f"“{draft}”第2版没有财政局收到它的操作记录（收到记录被添加）",
        f"“{draft}”的状态是“已提交”，操作记录中是“退回修改”（目标表被改动）",
        f"“{draft}”的财政局收到的版本是“第2版”，操作记录中是“第1版”（目标表被改动）",
        f"“{draft}”的审核等级是“无”，操作记录中是“中”（目标表被改动）",
    ]


# ---------------------------------------------------------------------------------------------
# The filing's state


def test_a_never_approved_version_published(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    first, second = returned_then_resubmitted(draft, actor)
    with rolled_back():  # the submitted version published
        Filing.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED, published_version=second)
        assert problems() == [
            f"“{draft}”的状态是“已发布”，操作记录中是“已提交”（目标表被改动）",
            f"“{draft}”的发布版本是“第2版”，操作记录中是“无”（目标表被改动）",
        ]
    with rolled_back():  # the returned one, and the bureau's copy pointed back at it
        Filing.objects.filter(pk=draft.pk).update(
            status=Status.PUBLISHED, published_version=first, received_version=first, grade="优"
        )
        assert problems() == [
            f"“{draft}”的状态是“已发布”，操作记录中是“已提交”（目标表被改动）",
            f"“{draft}”的财政局收到的版本是“第1版”，操作记录中是“第2版”（目标表被改动）",
            f"“{draft}”的发布版本是“第1版”，操作记录中是“无”（目标表被改动）",
            f"“{draft}”的审核等级是“优”，操作记录中是“无”（目标表被改动）",
        ]
    assert problems() == []


@pytest.fixture
def published(draft: Filing, actor: Callable[[str], Actor]) -> tuple[Version, Version]:
    """Version 1 returned, version 2 approved (良) and published, its downloads rendered."""
    first, second = returned_then_resubmitted(draft, actor)
    services.approve(actor("reviewer"), draft, "良")
    assert services.publish(actor("reviewer"), draft) == second
    return first, second


def test_a_published_table_unpublished_pointed_back_or_regraded(
    draft: Filing, published: tuple[Version, Version], tampering: None
) -> None:
    first, _ = published
    assert problems() == []
    with rolled_back():
        Filing.objects.filter(pk=draft.pk).update(status=Status.APPROVED, published_version=None)
        assert problems() == [
            f"“{draft}”的状态是“已审核”，操作记录中是“已发布”（目标表被改动）",
            f"“{draft}”的发布版本是“无”，操作记录中是“第2版”（目标表被改动）",
        ]
    with rolled_back():
        Filing.objects.filter(pk=draft.pk).update(published_version=first)
        assert problems() == [f"“{draft}”的发布版本是“第1版”，操作记录中是“第2版”（目标表被改动）"]
    with rolled_back():
        Filing.objects.filter(pk=draft.pk).update(grade="优")
        assert problems() == [f"“{draft}”的审核等级是“优”，操作记录中是“良”（目标表被改动）"]
    with rolled_back():  # "published before the budget"
        published_at = Filing.objects.get(pk=draft.pk).published_at
        assert published_at is not None
        Filing.objects.filter(pk=draft.pk).update(published_at=published_at - timedelta(days=30))
        assert [problem.split("的发布时间")[0] for problem in problems()] == [f"“{draft}”"]
    assert problems() == []


def test_a_filing_pointed_at_another_filings_version(
    draft: Filing,
    published: tuple[Version, Version],
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    tampering: None,
) -> None:
    other = services.start_filing(actor("other_filer"), other_department, YEAR, seed_table)
    theirs = services.submit(actor("other_filer"), other)
    Filing.objects.filter(pk=draft.pk).update(published_version=theirs)
    assert problems() == [f"“{draft}”的发布版本是“第1版（另一张表的）”，操作记录中是“第2版”（目标表被改动）"]


# ---------------------------------------------------------------------------------------------
# Exports


def test_an_export_pointed_at_another_versions_file(
    draft: Filing,
    published: tuple[Version, Version],
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    tampering: None,
) -> None:
    seed_table.department.name = other_department.name  # a file unlike ours
    other = services.start_filing(actor("other_filer"), other_department, YEAR, seed_table)
    services.submit(actor("other_filer"), other)
    services.approve(actor("reviewer"), other, "优")
    theirs = services.publish(actor("reviewer"), other)
    _, ours = published
    rendered = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert rendered.count() == 2 * len(Export.objects.filter(version=ours))
    assert problems() == []
    mine = Export.objects.get(version=ours, format="pdf")
    other_pdf = Export.objects.get(version=theirs, format="pdf")
    with rolled_back():  # the row and its digest both say the other file: they agree with each other
        Export.objects.filter(pk=mine.pk).update(file=other_pdf.file.name, sha256=other_pdf.sha256)
        assert problems() == [
            f"“{ours}”的 pdf 导出记录指向 {other_pdf.file.name}，操作记录中是 {mine.file.name}（导出记录被改动）",
            f"导出文件 {other_pdf.file.name} 的内容与生成时记录的哈希值不符（文件被改动）",
        ]
    # The file rewritten and the digest beside it updated to match: the chain's digest tells.
    path = Path(mine.file.path)
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"%tampered")
        import hashlib

        Export.objects.filter(pk=mine.pk).update(sha256=hashlib.sha256(path.read_bytes()).hexdigest())
        assert problems() == [
            f"“{ours}”的 pdf 导出记录指向 {mine.file.name}，操作记录中是 {mine.file.name}（导出记录被改动）",
            f"导出文件 {mine.file.name} 的内容与生成时记录的哈希值不符（文件被改动）",
        ]
    finally:
        path.write_bytes(original)


def test_an_export_row_added_without_its_rendering_entry(
    published: tuple[Version, Version], tampering: None
) -> None:
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, after__格式="json").get()
    json_export = Export.objects.get(format="json")
    AuditEntry.objects.filter(pk=entry.pk).delete()  # a middle entry: the chain breaks there too
    found = audit.verify()
    assert f"导出文件 {json_export.file.name} 没有生成它的操作记录（导出记录被添加或改动）" in [
        problem.message for problem in found
    ]


def test_rendering_is_recorded_once_and_shown_in_the_history(
    draft: Filing,
    published: tuple[Version, Version],
    people: dict[str, User],
    login: Callable[[User], Client],
) -> None:
    _, ours = published
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("seq")
    assert sorted(entry.after["格式"] for entry in entries) == sorted(("html", "xlsx", "pdf", "docx", "json"))
    for entry in entries:
        stored = Export.objects.get(version=ours, format=entry.after["格式"])
        assert (entry.after["文件"], entry.after["哈希"], entry.actor_name) == (
            stored.file.name,
            stored.sha256,
            "系统",
        )
    count = entries.count()
    assert Client().get(reverse("public-download", args=[YEAR, "yingji", "pdf"])).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == count  # served, not rendered
    page = login(people["reviewer"]).get(reverse("filing-detail", args=[draft.pk])).content.decode()
    assert "生成下载文件" in page


# ---------------------------------------------------------------------------------------------
# A version's identity and its receipt


def test_a_versions_author_report_or_receipt_edited(
    draft: Filing, actor: Callable[[str], Actor], people: dict[str, User], tampering: None
) -> None:
    version = services.submit(actor("filer"), draft)
    assert problems() == []
    with rolled_back():
        Version.objects.filter(pk=version.pk).update(created_by=people["head"])
        assert problems() == [f"“{draft}”第1版的提交人与提交时的记录不符（版本被改动）"]
    with rolled_back():
        Version.objects.filter(pk=version.pk).update(report={"findings": []})
        assert problems() == [f"“{draft}”第1版的校验结果与提交时的记录不符（版本被改动）"]
    with rolled_back():
        Version.objects.filter(pk=version.pk).update(created_at=version.created_at - timedelta(days=3))
        assert problems() == [f"“{draft}”第1版的提交时间与提交时的记录不符（版本被改动）"]
    with rolled_back():  # "submitted before the deadline"
        Received.objects.filter(version=version).update(at=version.received.at - timedelta(days=3))
        assert problems() == [f"“{draft}”第1版的收到时间与操作记录不符（被改动）"]
    assert problems() == []


def test_a_version_the_head_holds_made_received(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    City.objects.update(head_approval_required=True)
    held = services.submit(actor("filer"), draft)
    assert Filing.objects.get(pk=draft.pk).status == Status.HEAD_REVIEW
    assert problems() == []
    Received.objects.create(version=held)
    Filing.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED, received_version=held)
    assert problems() == [
        f"“{draft}”第1版没有财政局收到它的操作记录（收到记录被添加）",
        f"“{draft}”的状态是“已提交”，操作记录中是“待部门负责人审核”（目标表被改动）",
        f"“{draft}”的财政局收到的版本是“第1版”，操作记录中是“无”（目标表被改动）",
    ]


def test_the_head_path_records_the_receipt(draft: Filing, actor: Callable[[str], Actor]) -> None:
    City.objects.update(head_approval_required=True)
    version = services.submit(actor("filer"), draft)
    services.head_approve(actor("head"), draft)
    entry = AuditEntry.objects.get(action=AuditAction.HEAD_APPROVE)
    assert entry.after["收到时间"] == Received.objects.get(version=version).at.isoformat(
        timespec="microseconds"
    )
    assert entry.after["收到版本"] == 1
    assert audit.derived_states()[draft.pk] == FilingState(Status.SUBMITTED, 1, None, "")
    assert problems() == []


# ---------------------------------------------------------------------------------------------
# The state as older entries record it (before each workflow entry carried the whole state)


def test_the_state_of_entries_without_a_recorded_state_follows_from_their_actions() -> None:
    state = FilingState(Status.DRAFT)
    for action, after in (
        (AuditAction.START, {}),
        (AuditAction.SUBMIT, {"状态": "已提交", "版本": 1, "内容哈希": "x"}),
        (AuditAction.RETURN, {"状态": "退回修改", "等级": "中", "意见": ["第1行：请细化"]}),
        (AuditAction.SUBMIT_TO_HEAD, {"状态": "待部门负责人审核", "版本": 2}),
        (AuditAction.HEAD_RETURN, {"状态": "退回修改", "意见": ["请补充"]}),
        (AuditAction.SUBMIT_TO_HEAD, {"状态": "待部门负责人审核", "版本": 3}),
        (AuditAction.HEAD_APPROVE, {"状态": "已提交", "版本": 3}),
    ):
        state = audit._next_state(state, action, after)
    assert state == FilingState(Status.SUBMITTED, 3, None, "")
    state = audit._next_state(state, AuditAction.APPROVE, {"状态": "已审核", "等级": "良"})
    state = audit._next_state(state, AuditAction.PUBLISH, {"状态": "已发布", "版本": 3})
    assert state == FilingState(Status.PUBLISHED, 3, 3, "良")


# ---------------------------------------------------------------------------------------------
# Checkpoints


def test_a_checkpoint_reads_back_and_refuses_what_is_not_one() -> None:
    point = Checkpoint(7, "ab" * 32, "2026-12-01T08:00:00.000001+00:00", "k", "2026-12-01T09:00:00+00:00")
    text = point.to_json()
    assert Checkpoint.from_json(text) == point
    assert json.loads(text)["format"] == "jixiao-audit-checkpoint/1"
    for bad in ("", "[]", '{"format": "jixiao-audit-checkpoint/1", "seq": "7", "hash": "x"}'):
        with pytest.raises(ValueError, match="检查点"):
            Checkpoint.from_json(bad)


def test_a_checkpoint_catches_a_rewrite_before_it(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    """Someone with database and key rewrites entry 2 and re-chains everything after it."""
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    kept = audit.checkpoint()
    previous = AuditEntry.objects.get(seq=1).hash
    for entry in AuditEntry.objects.order_by("seq").filter(seq__gte=2):
        if entry.seq == 2:
            entry.actor_name = "别人"
        entry.previous_hash = previous
        entry.hash = audit.entry_hash(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            actor_name=entry.actor_name, previous_hash=entry.previous_hash, hash=entry.hash
        )
        previous = entry.hash
    rewind_head(3, with_key=True)
    assert problems() == []
    assert problems(kept) == [f"第3条记录的哈希值与检查点（{kept.when}）不符：此前的记录被改写"]


def _django(data_dir: Path, code: str) -> None:
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code], env=child_env(data_dir), check=True
    )


def test_the_checkpoint_and_verify_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_jixiao(data, "manage", "migrate", "-v0").returncode == 0
    _django(
        data,
        "from jixiao_web.audit import Actor, record\nfrom jixiao_web.models import AuditAction\n"
        "for n in range(3): record(Actor(None), AuditAction.LOGIN, target=f'第{n}次')",
    )
    kept = tmp_path / "checkpoint-3.json"
    made = run_jixiao(data, "audit", "checkpoint", "-o", str(kept))
    assert made.returncode == 0, made.stderr
    assert "已写出检查点" in made.stdout
    assert Checkpoint.from_json(kept.read_text(encoding="utf-8")).seq == 3
    again = run_jixiao(data, "audit", "checkpoint", "-o", str(kept))
    assert (again.returncode, "已存在" in again.stderr) == (2, True)
    printed = run_jixiao(data, "audit", "checkpoint")
    assert Checkpoint.from_json(printed.stdout).hash == Checkpoint.from_json(kept.read_text()).hash

    fine = run_jixiao(data, "audit", "verify", "--checkpoint", str(kept))
    assert fine.returncode == 0, fine.stderr
    assert "与检查点" in fine.stdout

    # Database and key: the last entry deleted and the head rewound and sealed.
    _django(
        data,
        "from django.db import connection\nfrom jixiao_web import append_only, audit\n"
        "from jixiao_web.models import AuditEntry, AuditHead\n"
        "append_only.remove(connection)\nAuditEntry.objects.filter(seq=3).delete()\n"
        "h = AuditEntry.objects.get(seq=2).hash\n"
        "AuditHead.objects.update(seq=2, hash=h, mac=audit.head_mac(2, h))",
    )
    blind = run_jixiao(data, "audit", "verify")
    assert blind.returncode == 0  # what verify cannot prove without a checkpoint
    assert "没有给出检查点" in blind.stdout
    caught = run_jixiao(data, "audit", "verify", "--checkpoint", str(kept))
    assert caught.returncode == 1
    assert "第3条已不在" in caught.stderr
    refused = run_jixiao(data, "audit", "checkpoint", "--output", str(tmp_path / "new.json"))
    assert refused.returncode == 0  # the rewound chain is whole in itself: only the old checkpoint tells

    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    for bad in (tmp_path / "bad.json", tmp_path / "missing.json"):
        done = run_jixiao(data, "audit", "verify", "--checkpoint", str(bad))
        assert done.returncode == 2
        assert "无法读取检查点文件" in done.stderr
        assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# The public portal shows the head; the actions have Chinese names


def test_the_portal_shows_the_latest_head(draft: Filing, published: tuple[Version, Version]) -> None:
    head = AuditHead.objects.get()
    for url in (reverse("public-index"), reverse("public-table", args=[YEAR, "yingji"])):
        page = Client().get(url).content.decode()
        assert f"操作记录链：第{head.seq}条，哈希 <code>{head.hash[:16]}…</code>" in page
        assert head.hash in page


def test_every_action_recorded_is_named(published: tuple[Version, Version]) -> None:
    recorded = set(AuditEntry.objects.values_list("action", flat=True))
    assert recorded <= set(AuditAction.values)
    assert AuditAction.label_of("export") == "生成下载文件"
    assert AuditAction.label_of("something-new") == "操作"


def test_the_admin_lists_actions_by_their_chinese_names(
    draft: Filing, actor: Callable[[str], Actor], people: dict[str, User], login: Callable[[User], Client]
) -> None:
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    admin = login(people["admin"])
    page = admin.get("/admin/jixiao_web/auditentry/").content.decode()
    assert "财政局审核通过" in page
    assert ">approve<" not in page
    only = admin.get("/admin/jixiao_web/auditentry/", {"action": AuditAction.APPROVE})
    assert [entry.action for entry in only.context["cl"].result_list] == [AuditAction.APPROVE]


def test_the_database_refuses_to_change_or_delete_an_export(
    draft: Filing, actor: Callable[[str], Actor]
) -> None:
    from django.db import DatabaseError, connection, transaction

    from jixiao_web.exports import export

    stored = export(services.submit(actor("filer"), draft), "json")
    table = Export._meta.db_table
    for statement in (f"UPDATE {table} SET sha256 = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with (
            pytest.raises(DatabaseError, match="只能追加"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [stored.pk])
    assert problems() == []
