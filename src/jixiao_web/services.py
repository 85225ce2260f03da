"""Everything that changes data.  Each service checks access with :mod:`jixiao_web.access`, runs
the library's rules where a table changes, and records itself in the audit log, all in one
transaction.  Errors are :class:`ServiceError` with a Chinese message for the user.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jixiao.check import check_table
from jixiao.findings import SECTION_TITLES, Finding, Report, Severity
from jixiao.model import TargetTable
from jixiao_web import audit
from jixiao_web.access import Action, allowed, departments_filing_for
from jixiao_web.audit import Actor
from jixiao_web.diff import diff_tables
from jixiao_web.models import (
    ApiToken,
    City,
    Comment,
    CommentReply,
    Department,
    Filing,
    FilingYear,
    Grade,
    Received,
    Role,
    Status,
    Version,
)
from jixiao_web.rows import in_printed_order, key_at, keys_for
from jixiao_web.selectors import latest_version
from jixiao_web.wording import comment_line, place_of

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """An action that cannot be done, with the reason in Chinese."""


class Forbidden(ServiceError):
    """The actor may not do this (to this filing, in its present state)."""


class Conflict(ServiceError):
    """The table was saved by someone else since the actor loaded it."""


class NotSubmittable(ServiceError):
    """The table has errors; ``report`` lists them."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


#: The parts of a table a comment can be on, in form order (every section but the file itself).
SECTIONS = tuple(section for section in SECTION_TITLES if section != "file")


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """A comment on a section (and row) of the table under review."""

    section: str
    row: int | None
    text: str


def _require(actor: Actor, action: Action, filing: Filing, what: str) -> None:
    if actor.user is None or not allowed(actor.user, action, filing):
        raise Forbidden(f"您不能{what}“{filing}”（当前状态：{filing.get_status_display()}）。")


def report_of(table: TargetTable, source: str = "", read_findings: Sequence[Finding] = ()) -> Report:
    """The library's findings for a table being filed (with what reading its form found)."""
    return check_table(table, source, read_findings)


def _counts(report: Report) -> tuple[int, int]:
    return report.count(Severity.ERROR), report.count(Severity.WARNING)


def _locked(filing: Filing) -> Filing:
    return Filing.objects.select_for_update().select_related("department").get(pk=filing.pk)


# ---------------------------------------------------------------------------------------------
# Starting a table


def blank_table(department: Department, year: int) -> TargetTable:
    city = City.current().name
    return TargetTable.model_validate(
        {
            "title": f"{city}{year}年市直部门整体预算绩效目标表",
            "year": year,
            "department": {"name": department.name, "competent_department": department.competent_department},
        }
    )


def carried_forward(department: Department, year: int) -> TargetTable | None:
    """Last year's approved (or published) table, moved to ``year``; None when there is none."""
    last = (
        Filing.objects.filter(
            department=department, year=year - 1, status__in=(Status.APPROVED, Status.PUBLISHED)
        )
        .select_related("received_version")
        .first()
    )
    if last is None or last.received_version is None:
        return None
    return moved_to_year(TargetTable.model_validate(last.received_version.data), year)


def moved_to_year(table: TargetTable, year: int) -> TargetTable:
    """``table`` as a start for ``year``: its year, and the year in its title (``2023年`` → ``2024年``)."""
    if table.year is not None and table.title:
        table.title = re.sub(rf"{table.year}(?=年)", str(year), table.title)
    table.year = year
    return table


def start_filing(actor: Actor, department: Department, year: int, table: TargetTable) -> Filing:
    """A new draft for ``department`` and ``year`` holding ``table``."""
    user = actor.user
    if user is None or not departments_filing_for(user).filter(pk=department.pk).exists():
        raise Forbidden(f"您不能为“{department}”填报目标表。")
    filing_year = FilingYear.objects.filter(year=year).first()
    if filing_year is None or not filing_year.is_open:
        raise ServiceError(f"{year}年度未开放填报。")
    table.year = table.year or year
    if table.year != year:
        raise ServiceError(f"文件中的目标表是{table.year}年度的，不是{year}年度。")
    table, row_keys = in_printed_order(table)  # review: stored in printed order, rows keyed
    errors, warnings = _counts(report_of(table))
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                department=department,
                year=year,
                data=table.model_dump(mode="json"),
                row_keys=row_keys,
                errors=errors,
                warnings=warnings,
                updated_by=user,
            )
            audit.record(actor, "start", filing=filing, after=filing.data)
    except IntegrityError:
        raise ServiceError(f"“{department}”{year}年度的目标表已经存在。") from None
    return filing


# ---------------------------------------------------------------------------------------------
# Editing


def save_draft(
    actor: Actor,
    filing: Filing,
    table: TargetTable,
    revision: int,
    *,
    row_keys: dict[str, Any] | None = None,
) -> tuple[Filing, Report]:
    """Store ``table`` as the working copy, if nobody saved since ``revision``.

    The table is stored in printed order (:func:`rows.in_printed_order`) with ``row_keys`` (the
    form's, row for row; None keeps the stored keys by position).  Warnings and errors never block
    saving; they are returned for display.
    """
    if row_keys is None:
        row_keys = Filing.objects.filter(pk=filing.pk).values_list("row_keys", flat=True).first()
    table, keys = in_printed_order(table, row_keys)
    report = report_of(table)
    errors, warnings = _counts(report)
    data = table.model_dump(mode="json")
    with transaction.atomic():
        # Checked under the row lock: a submission racing this save is seen, not overwritten.
        current = _locked(filing)
        _require(actor, Action.EDIT, current, "修改")
        if current.revision != revision:
            who = current.updated_by or "他人"
            when = timezone.localtime(current.updated_at).strftime("%H:%M:%S")
            raise Conflict(
                f"保存冲突：{who}在{when}保存了这张表（第{current.revision}次修订），"
                f"您编辑的是第{revision}次修订。为避免覆盖对方的修改，本次没有保存；"
                "请复制您的修改，重新打开后再合并。"
            )
        stored_keys = keys_for(current.data, current.row_keys)
        changes = diff_tables(current.data, data, stored_keys, keys)
        if not changes:
            if keys != current.row_keys:  # the same rows in the same places: keep their keys
                Filing.objects.filter(pk=current.pk).update(row_keys=keys_for(data, current.row_keys))
                current.refresh_from_db()
            return current, report
        Filing.objects.filter(pk=current.pk).update(
            data=data,
            row_keys=keys,
            revision=F("revision") + 1,
            errors=errors,
            warnings=warnings,
            updated_by=actor.user,
            updated_at=timezone.now(),
        )
        audit.record(
            actor,
            "save",
            filing=current,
            before={c.label: c.before for c in changes},
            after={c.label: c.after for c in changes},
        )
    current.refresh_from_db()
    return current, report


# ---------------------------------------------------------------------------------------------
# Workflow


def _transition(
    actor: Actor, filing: Filing, status: Status, action: str, extra: dict[str, Any] | None = None
) -> None:
    before = filing.status
    filing.status = status
    filing.save()
    audit.record(
        actor,
        action,
        filing=filing,
        before={"状态": Status(before).label},
        after={"状态": status.label, **(extra or {})},
    )


def submit(actor: Actor, filing: Filing) -> Version:
    """Freeze the working copy as a new version and send it on (to the head or the finance bureau)."""
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.SUBMIT, filing, "提交")
        assert actor.user is not None
        table = TargetTable.model_validate(filing.data)
        report = report_of(table)
        errors, warnings = _counts(report)
        if errors:
            raise NotSubmittable(f"表中还有{errors}处错误，改正后才能提交。", report)
        number = filing.versions.count() + 1
        version = Version.objects.create(
            filing=filing,
            number=number,
            data=filing.data,
            row_keys=keys_for(filing.data, filing.row_keys),
            report=report.to_dict(),
            errors=errors,
            warnings=warnings,
            created_by=actor.user,
        )
        via_head = City.current().head_approval_required and actor.user.role == Role.FILER
        filing.row_keys = version.row_keys  # a table from before rows had keys keeps the version's
        filing.submitted_by = actor.user
        filing.errors, filing.warnings = errors, warnings
        filing.grade = ""  # a new version gets its own grade; the old one stays in the history
        target = Status.HEAD_REVIEW if via_head else Status.SUBMITTED
        extra = {"版本": number, audit.DIGEST_KEY: audit.content_digest(version.data)}
        if target == Status.SUBMITTED:
            _receive(filing, version)
        action = "submit" if target == Status.SUBMITTED else "submit_to_head"  # audit.SUBMITTING_ACTIONS
        _transition(actor, filing, target, action, extra)
    return version


def _receive(filing: Filing, version: Version) -> None:
    """The finance bureau receives ``version``: from now on it is what the bureau sees."""
    Received.objects.create(version=version)
    filing.received_version = version


def _comments(actor: Actor, filing: Filing, comments: Sequence[ReviewComment]) -> list[Comment]:
    """Store the comments on the latest version; a row must be one of that version's rows."""
    version = latest_version(filing)
    assert version is not None
    assert actor.user is not None
    rows = {
        "tasks": len(version.data.get("tasks", [])),
        "indicators": len(version.data.get("indicators", [])),
    }
    made = []
    for comment in comments:
        if comment.section not in SECTIONS:
            raise ServiceError(f"意见所属部分“{comment.section}”不存在。")
        if comment.row is not None and not 1 <= comment.row <= rows.get(comment.section, 0):
            raise ServiceError(f"{place_of(comment.section, comment.row)}不存在，意见未保存。")
        text = comment.text.strip()
        if not text:
            continue
        made.append(
            Comment.objects.create(
                filing=filing,
                version=version,
                section=comment.section,
                row=comment.row,
                row_key=key_at(version.row_keys, comment.section, comment.row),
                text=text[:2000],
                author=actor.user,
            )
        )
    return made


@dataclass(frozen=True, slots=True)
class Reply:
    """The department's reply to comment ``comment`` (its pk): words, and 已修改 or not."""

    comment: int
    text: str
    fixed: bool


def reply_to_comments(actor: Actor, filing: Filing, replies: Sequence[Reply]) -> list[CommentReply]:
    """Store the department's replies to comments on its table while it may revise it; a reply
    that says what the last one said is not stored again."""
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.EDIT, filing, "回复审核意见于")
        assert actor.user is not None
        comments = {c.pk: c for c in filing.comments.all()}
        last = {
            r.comment_id: r for r in CommentReply.objects.filter(filing=filing).order_by("created_at", "pk")
        }
        made = []
        for reply in replies:
            comment = comments.get(reply.comment)
            if comment is None:
                raise ServiceError("要回复的审核意见不存在。")
            text = reply.text.strip()[:2000]
            earlier = last.get(comment.pk)
            if (earlier is None and not text and not reply.fixed) or (
                earlier is not None and (earlier.text, earlier.fixed) == (text, reply.fixed)
            ):
                continue
            made.append(
                CommentReply.objects.create(
                    filing=filing, comment=comment, text=text, fixed=reply.fixed, author=actor.user
                )
            )
        if made:
            audit.record(
                actor,
                "reply",
                filing=filing,
                after={
                    "回复": [
                        f"{comment_line(r.comment.section, r.comment.row, r.comment.text)} → "
                        f"{'已修改' if r.fixed else '未修改'}{'：' + r.text if r.text else ''}"
                        for r in made
                    ]
                },
            )
    return made


def _said(comments: Sequence[Comment]) -> list[str]:
    return [comment_line(c.section, c.row, c.text) for c in comments]


def head_approve(actor: Actor, filing: Filing) -> None:
    """部门负责人 sends the submitted version on to the finance bureau."""
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.HEAD_REVIEW, filing, "审核")
        version = latest_version(filing)
        assert version is not None
        _receive(filing, version)
        _transition(actor, filing, Status.SUBMITTED, "head_approve", {"版本": version.number})


def return_filing(
    actor: Actor,
    filing: Filing,
    comments: Sequence[ReviewComment],
    grade: str = "",
    *,
    by_head: bool = False,
    reviewed: int | None = None,
) -> None:
    """Send the table back for changes, with at least one comment saying what to change.

    ``by_head``: 部门负责人 returning it before it goes out; otherwise the finance bureau's review.
    """
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.HEAD_REVIEW if by_head else Action.REVIEW, filing, "退回")
        if not by_head:
            _check_reviewed(filing, reviewed)
        problem = decision_problem("return", grade, comments)
        if problem:
            raise ServiceError(problem)
        made = _comments(actor, filing, comments)
        if not by_head:
            filing.grade = grade
        extra: dict[str, Any] = {"意见": _said(made)}
        if grade:
            extra["等级"] = grade
        _transition(actor, filing, Status.RETURNED, "head_return" if by_head else "return", extra)


def decision_problem(decision: str, grade: str, comments: Sequence[ReviewComment]) -> str:
    """What is wrong with a review decision as posted (empty when nothing): checked by the
    services, and by the review page before it asks for confirmation."""
    if grade and grade not in Grade.values:
        return "审核等级只能是优、良、中、差。"
    if decision == "approve" and grade not in (Grade.EXCELLENT, Grade.GOOD):
        if not grade:
            return "请选择审核等级：审核通过须评为“优”或“良”。"
        return "审核通过须评为“优”或“良”；评为“中”或“差”的表应退回修改。"
    if decision == "return" and not any(c.text.strip() for c in comments):
        return "退回时请至少填写一条审核意见，说明要修改什么。"
    return ""


def check_may_decide(actor: Actor, filing: Filing, reviewed: int | None) -> None:
    """Raise what :func:`approve` or :func:`return_filing` would for this actor, filing and
    reviewed version, without changing anything (the review page's confirmation step)."""
    filing.refresh_from_db()
    _require(actor, Action.REVIEW, filing, "审核")
    _check_reviewed(filing, reviewed)


def check_may_publish(actor: Actor, filing: Filing) -> None:
    """Raise what :func:`publish` would for this actor and filing, without publishing."""
    filing.refresh_from_db()
    _require(actor, Action.PUBLISH, filing, "发布")


def _check_reviewed(filing: Filing, reviewed: int | None) -> None:
    """A decision names the version the reviewer read; a newer one arrived since is a conflict."""
    current = filing.received_version.number if filing.received_version else None
    if reviewed is not None and reviewed != current:
        raise Conflict(
            f"您审核的是第{reviewed}版，部门已提交了第{current}版。请重新打开审核页面，查看新版本后再决定。"
        )


def approve(
    actor: Actor,
    filing: Filing,
    grade: str,
    comments: Sequence[ReviewComment] = (),
    reviewed: int | None = None,
) -> None:
    """Approve the submitted version with a grade (优/良 go ahead; 中/差 should be returned instead)."""
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.REVIEW, filing, "审核通过")
        _check_reviewed(filing, reviewed)
        problem = decision_problem("approve", grade, comments)
        if problem:
            raise ServiceError(problem)
        made = _comments(actor, filing, comments)
        filing.grade = grade
        extra: dict[str, Any] = {"等级": grade}
        if made:
            extra["意见"] = _said(made)
        _transition(actor, filing, Status.APPROVED, "approve", extra)


def publish(actor: Actor, filing: Filing) -> Version:
    """Publish the approved version: it appears on the public portal with its downloads."""
    from jixiao_web.exports import render_all

    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, Action.PUBLISH, filing, "发布")
        version = filing.received_version
        assert version is not None
        filing.published_version = version
        filing.published_at = timezone.now()
        _transition(actor, filing, Status.PUBLISHED, "publish", {"版本": version.number})
    try:
        render_all(version)
    except Exception:  # published all the same: a download renders what is missing, once
        log.exception("rendering the downloads of %s failed", version)
    return version


# ---------------------------------------------------------------------------------------------
# API tokens


def create_token(actor: Actor, name: str) -> str:
    """A new API token for the actor; the key is returned once and only its digest is kept."""
    assert actor.user is not None
    name = name.strip()[:100] or "未命名"
    key = "jx_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=actor.user, name=name, digest=ApiToken.digest_of(key), prefix=key[:8])
        audit.record(actor, "token_create", target=f"API 令牌“{name}”")
    return key


def revoke_token(actor: Actor, token: ApiToken) -> None:
    if actor.user is None or token.user_id != actor.user.pk:
        raise Forbidden("只能撤销自己的 API 令牌。")
    with transaction.atomic():
        audit.record(actor, "token_revoke", target=f"API 令牌“{token.name}”")
        token.delete()
