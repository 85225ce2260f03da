"""The review page and what goes with it: rows stored in printed order with keys, comments that
follow their rows, refused decisions that keep what was typed, the confirmation step, the word
diff, the department's replies, the 部门负责人's row comments and the stock phrases."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.diff import diff_tables, word_diff
from jixiao_web.models import (
    AuditAction,
    AuditEntry,
    City,
    Comment,
    CommentReply,
    Filing,
    Status,
    StockPhrase,
    User,
    Version,
)
from jixiao_web.rows import keys_for
from jixiao_web.services import ReviewComment

from .pages import form_fields, table_form, textarea

People = dict[str, User]
Login = Callable[[User], Client]
MakeActor = Callable[[str], Actor]


def _state() -> tuple[int, ...]:
    """What a decision changes (not the record that a reviewer opened the version: editor)."""
    return (
        Version.objects.count(),
        Comment.objects.count(),
        AuditEntry.objects.exclude(action=AuditAction.REVIEW_OPEN).count(),
        *Filing.objects.values_list("revision", flat=True),
    )


def _submitted(draft: Filing, actor: MakeActor) -> Filing:
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    return draft


def _decide(client: Client, filing: Filing, **data: str) -> tuple[int, str]:
    response = client.post(reverse("review-decide", args=[filing.pk]), data)
    return response.status_code, response.content.decode()


# ---------------------------------------------------------------------------------------------
# Printed order and row keys


def test_a_table_is_stored_in_printed_order_with_a_key_per_row(
    people: People, department: object, seed_table: TargetTable, actor: MakeActor
) -> None:
    seed_table.indicators.reverse()  # typed last-group-first
    other = seed_table.tasks[-1]
    assert other.kind == "other"
    seed_table.tasks.insert(0, seed_table.tasks.pop())  # an "other" task typed first
    filing = services.start_filing(actor("filer"), department, 2024, seed_table)  # type: ignore[arg-type]
    stored = TargetTable.model_validate(filing.data)
    assert [i.level2 for i in stored.indicators] == [
        "数量指标",
        "质量指标",
        "时效指标",
        "社会效益指标",
        "可持续影响指标",
    ]
    kinds = [t.kind for t in stored.tasks]
    assert kinds == sorted(kinds, key=lambda kind: kind != "key")
    assert stored.tasks[kinds.index("other")].name == other.name  # first of the others, as typed
    assert [t.seq for t in stored.tasks] == list(range(1, len(stored.tasks) + 1))
    keys = filing.row_keys
    assert len(keys["tasks"]) == len(stored.tasks)
    assert len(set(keys["indicators"])) == len(stored.indicators)
    services.submit(actor("filer"), filing)
    assert Version.objects.get(filing=filing).row_keys == keys


def test_comments_follow_their_rows_when_rows_move_or_go(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    version = Version.objects.get(filing=draft)
    comments = [
        ReviewComment("tasks", 2, "第二项任务请细化"),
        ReviewComment("tasks", 1, "第一项任务请删去"),
        ReviewComment("indicators", 3, "到达时间请写明依据"),
    ]
    services.return_filing(actor("reviewer"), draft, comments, "中")
    stored = {c.text: c for c in Comment.objects.filter(filing=draft)}
    assert stored["第二项任务请细化"].row_key == version.row_keys["tasks"][1]
    assert stored["到达时间请写明依据"].row_key == version.row_keys["indicators"][2]

    # The filer deletes task 1 and adds a 数量指标 at the end of the form (printed second).
    draft.refresh_from_db()
    filer = login(people["filer"])
    data = table_form(TargetTable.model_validate(draft.data), draft.revision, draft.row_keys)
    for column in ("task_kind", "task_name", "task_content", "task_amount", "task_key"):
        data[column] = data[column][1:]
    # 项目支出 less the deleted task's amount, so that the table still adds up.
    deleted = TargetTable.model_validate(draft.data).tasks[0].amount or Decimal(0)
    data["budget_project_expenditure"] = str(Decimal(data["budget_project_expenditure"]) - deleted)
    new_row = {"level1": "产出指标", "level2": "数量指标", "name": "开展应急演练", "explanation": "演练次数"}
    for name in ("level1", "level2", "name", "explanation", "comparator", "value", "unit", "key"):
        data[f"ind_{name}"] = [*data[f"ind_{name}"], new_row.get(name, "≥" if name == "comparator" else "")]
    data["ind_value"][-1], data["ind_unit"][-1] = "2", "次"
    response = filer.post(reverse("filing-edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    stored_table = TargetTable.model_validate(draft.data)
    assert stored_table.indicators[1].name == "开展应急演练"
    assert draft.row_keys["tasks"][0] == version.row_keys["tasks"][1]
    assert draft.row_keys["indicators"][3] == version.row_keys["indicators"][2]

    page = filer.get(reverse("filing-edit", args=[draft.pk])).content.decode()
    assert re.search(
        r'data-section="tasks" data-row="1"[^>]*>.*?现为第1行.*?第二项任务请细化', page, re.DOTALL
    )
    assert re.search(
        r'data-section="tasks" data-row=""[^>]*>.*?该行已删除.*?第一项任务请删去', page, re.DOTALL
    )
    assert re.search(r'data-section="indicators" data-row="4"[^>]*>.*?现为第4行', page, re.DOTALL)

    # Resubmitted, the reviewer sees the comment at its row now, and the diff pairs rows by key.
    services.submit(actor("filer"), draft)
    response = login(people["reviewer"]).get(reverse("review", args=[draft.pk]))
    rows = {(r.target.section, r.target.row): r for r in response.context["rows"]}
    assert [c.text for c in rows[("tasks", 1)].comments] == ["第二项任务请细化"]
    assert [c.text for c in rows[("indicators", 4)].comments] == ["到达时间请写明依据"]
    assert rows[("indicators", 2)].changes  # the new row
    assert not rows[("indicators", 4)].changes  # moved, not changed
    labels = [c.label for c in response.context["changes"]]
    assert any(label.startswith("任务第1行（已删除）") for label in labels)
    assert not any(label.startswith("绩效指标第3行") for label in labels)


def test_diff_marks_words_and_escapes() -> None:
    before, after = word_diff("应急处置到达时间≤3小时<b>", "应急处置到达时间≤2.5小时<b>")
    assert str(before) == "应急处置到达时间≤<del>3</del>小时&lt;b&gt;"
    assert str(after) == "应急处置到达时间≤<ins>2.5</ins>小时&lt;b&gt;"
    table = {"tasks": [{"seq": 1, "name": "甲"}, {"seq": 2, "name": "乙"}]}
    moved = {"tasks": [{"seq": 1, "name": "乙"}, {"seq": 2, "name": "甲"}]}
    keys, moved_keys = {"tasks": ["a", "b"]}, {"tasks": ["b", "a"]}
    assert diff_tables(table, moved, keys, moved_keys) == []
    assert [c.label for c in diff_tables(table, moved)] == ["任务第1行·名称", "任务第2行·名称"]


# ---------------------------------------------------------------------------------------------
# Decisions: confirmed first, refused without losing anything


def test_a_refused_approval_comes_back_with_the_comments_and_the_grade(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    reviewer = login(people["reviewer"])
    before = _state()
    typed = {"comment:tasks:2": "请细化<第二项>任务", "comment:overall_goal": "总体目标请量化"}
    status, page = _decide(reviewer, draft, decision="approve", confirmed="1", version="1", **typed)
    assert status == 400
    assert "请选择审核等级" in page
    assert textarea(page, "comment:tasks:2") == "请细化<第二项>任务"
    assert textarea(page, "comment:overall_goal") == "总体目标请量化"
    assert textarea(page, "comment:tasks:1") == ""
    assert _state() == before

    status, page = _decide(
        reviewer, draft, decision="approve", grade="中", confirmed="1", version="1", **typed
    )
    assert status == 400
    assert re.search(r'value="中" checked', page)
    assert textarea(page, "comment:tasks:2") == "请细化<第二项>任务"

    status, page = _decide(reviewer, draft, decision="return", grade="差", confirmed="1", version="1")
    assert status == 400
    assert "至少填写一条" in page
    assert re.search(r'value="差" checked', page)
    assert _state() == before


def test_a_decision_on_a_version_superseded_is_a_conflict_that_keeps_the_comments(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, "请细化")], "中")
    _submitted(draft, actor)  # version 2
    status, page = _decide(
        login(people["reviewer"]),
        draft,
        decision="return",
        confirmed="1",
        version="1",
        **{"comment:tasks:3": "意见甲"},
    )
    assert status == 409
    assert "第2版" in page
    assert textarea(page, "comment:tasks:3") == "意见甲"
    # Another reviewer decided meanwhile: the page has no form, the words are kept to copy.
    services.approve(actor("reviewer2"), draft, "优")
    status, page = _decide(
        login(people["reviewer"]),
        draft,
        decision="return",
        confirmed="1",
        version="2",
        **{"comment:tasks:3": "意见乙"},
    )
    assert status == 409
    assert 'id="unsent"' in page
    assert "任务第3行" in page
    assert "意见乙" in page


def test_a_decision_is_confirmed_first_saying_what_will_happen(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    reviewer = login(people["reviewer"])
    before = _state()
    typed = {"comment:tasks:2": "请细化", "comment:indicators:1": "请写明个数"}
    status, page = _decide(reviewer, draft, decision="return", grade="中", version="1", **typed)
    assert status == 200
    assert "退回（等级：中）后部门可以修改并重新提交；将发送 2 条意见。" in page
    assert 'name="confirm" value="return"' in page
    assert textarea(page, "comment:indicators:1") == "请写明个数"
    assert _state() == before
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED

    response = reviewer.post(
        reverse("review-decide", args=[draft.pk]),
        {"confirm": "return", "grade": "中", "version": "1", **typed},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.RETURNED
    assert sorted(Comment.objects.filter(filing=draft).values_list("text", flat=True)) == [
        "请写明个数",
        "请细化",
    ]

    _submitted(draft, actor)
    services.approve(actor("reviewer"), draft, "良")
    page = reviewer.post(reverse("review-publish", args=[draft.pk])).content.decode()
    assert "发布后，公众即可在公开页面查看和下载第2版" in page
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED
    response = reviewer.post(reverse("review-publish", args=[draft.pk]), {"confirm": "publish"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_the_review_page_has_a_box_per_row_numbered_as_printed_and_stock_phrases(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    StockPhrase.objects.create(text="请补充<时限>", order=0)
    response = login(people["reviewer"]).get(reverse("review", args=[draft.pk]))
    page = response.content.decode()
    table = TargetTable.model_validate(draft.data)
    names = re.findall(r'<textarea name="(comment:[^"]+)"', page)
    assert names[:6] == [f"comment:{s}" for s in services.SECTIONS]
    assert len(names) == 6 + len(table.tasks) + len(table.indicators)
    assert page.count('<details class="comment-box">') == len(names)  # collapsed until used
    # The official table's 行 column: row N of the table is the box "绩效指标第N行".
    assert re.findall(r'<td class="row-no">(\d+)</td>', page) == [
        str(n) for n in range(1, len(table.indicators) + 1)
    ]
    phrases = re.search(r'<script id="stock-phrases" type="application/json">(.*?)</script>', page)
    assert phrases is not None
    assert json.loads(phrases.group(1))[0] == "请补充<时限>"
    assert "<时限>" not in page  # escaped in the page
    assert "<script>" not in page  # no inline script
    assert "review.js" in page


# ---------------------------------------------------------------------------------------------
# Replies and the head's comments


def test_the_department_replies_and_marks_fixed_and_the_reviewer_sees_it_on_the_next_version(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    _submitted(draft, actor)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, "请细化")], "中")
    comment = Comment.objects.get(filing=draft)
    draft.refresh_from_db()
    filer = login(people["filer"])
    url = reverse("filing-edit", args=[draft.pk])
    fields = form_fields(filer.get(url))
    assert fields["replied"] == [str(comment.pk)]

    # A save refused (an amount it cannot read) keeps the reply typed.
    bad = {
        **fields,
        "budget_other_funds": "很多",
        "reply:" + str(comment.pk): "已按意见细化",
        f"fixed:{comment.pk}": "on",
    }
    response = filer.post(url, bad)
    assert response.status_code == 400
    assert textarea(response.content.decode(), f"reply:{comment.pk}") == "已按意见细化"
    assert not CommentReply.objects.exists()

    good = {**bad, "budget_other_funds": fields["budget_other_funds"][0]}
    assert filer.post(url, good).status_code == 302
    reply = CommentReply.objects.get()
    assert (reply.text, reply.fixed, reply.comment_id) == ("已按意见细化", True, comment.pk)
    assert AuditEntry.objects.filter(action="reply", filing=draft).count() == 1
    assert filer.post(url, good).status_code == 302  # the same reply again is not stored again
    assert CommentReply.objects.count() == 1

    reviewer = login(people["reviewer"])
    assert "已按意见细化" not in reviewer.get(reverse("review", args=[draft.pk])).content.decode()
    services.submit(actor("filer"), draft)
    page = reviewer.get(reverse("review", args=[draft.pk])).content.decode()
    assert re.search(r'部门回复 <span class="fixed">已修改</span>.*?已按意见细化', page, re.DOTALL)


def test_the_head_comments_on_rows_labelled_as_the_heads_own(
    draft: Filing, people: People, actor: MakeActor, login: Login
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    head = login(people["head"])
    page = head.get(reverse("filing-detail", args=[draft.pk])).content.decode()
    assert 'name="comment:indicators:2"' in page
    response = head.post(
        reverse("filing-head-review", args=[draft.pk]),
        {"decision": "return", "comment:indicators:2": "质量指标请写明标准"},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(filing=draft)
    assert (comment.section, comment.row, comment.author) == ("indicators", 2, people["head"])
    assert comment.row_key == keys_for(draft.data, Filing.objects.get(pk=draft.pk).row_keys)["indicators"][1]
    page = login(people["filer"]).get(reverse("filing-detail", args=[draft.pk])).content.decode()
    assert re.search(r"部门负责人意见</span> <b>绩效指标第2行</b>.*?质量指标请写明标准", page, re.DOTALL)


def test_row_keys_are_kept_when_well_formed_and_made_when_not() -> None:
    data = {"tasks": [{}, {}, {}], "indicators": [{}]}
    keys = keys_for(data, {"tasks": ["a1", "a1", "<script>"], "indicators": ["x" * 40]})
    assert keys["tasks"][0] == "a1"
    assert len(set(keys["tasks"])) == 3  # a duplicate and a malformed key are replaced
    assert "<script>" not in keys["tasks"]
    assert keys["indicators"] != ["x" * 40]
    assert keys_for(data, None)["tasks"] != keys_for(data, None)["tasks"]  # new keys every time


def test_a_comment_field_names_its_section_and_row() -> None:
    from jixiao_web.views.common import comment_field
    from jixiao_web.views.review import _place

    assert comment_field("comment:tasks:3") == ("tasks", 3)
    assert comment_field("comment:overall_goal") == ("overall_goal", None)
    assert comment_field("comment:tasks:²") == ("tasks", None)  # not a row int() would take
    assert comment_field("comment:tasks:1234567890") == ("tasks", None)  # beyond the database's integer
    assert comment_field("comment:nowhere:1") is None
    assert comment_field("reply:3") is None
    assert _place("comment:indicators:4") == "绩效指标第4行"
    assert _place("comment:nowhere:1") == "comment:nowhere:1"
