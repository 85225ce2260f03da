"""Everything that changes data.  Each service checks access with :mod:`jixiao_web.access`, runs
the library's rules where a table changes, and records itself in the audit log, all in one
transaction.  Errors are :class:`ServiceError` with a Chinese message for the user.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jixiao.catalogue import MONITORING_SECTION_TITLES, SELFEVAL_SECTION_TITLES
from jixiao.check import check_table
from jixiao.findings import SECTION_TITLES, Finding, Report, Severity
from jixiao.model import TargetTable
from jixiao_web import audit, evidence, library, reminders
from jixiao_web.access import FINANCE, Action, allowed, departments_filing_for, may, may_manage_library
from jixiao_web.audit import Actor
from jixiao_web.diff import diff_tables
from jixiao_web.models import (
    TOKEN_DAYS,
    TOKEN_DEFAULT_DAYS,
    ApiToken,
    AuditAction,
    City,
    Comment,
    CommentReply,
    Department,
    Filing,
    FilingYear,
    Grade,
    Kind,
    LibraryEntry,
    LibraryMark,
    LoginFailure,
    Opened,
    Received,
    Role,
    Status,
    User,
    Version,
    Withdrawal,
)
from jixiao_web.rows import in_printed_order, key_at, keys_for
from jixiao_web.selectors import latest_version
from jixiao_web.wording import comment_line, place_of
from jixiao_web.workflow import TARGET, Need, Transition, Workflow, workflow_for

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
#: selfeval: the parts of a self-evaluation a comment can be on.
SELFEVAL_SECTIONS = tuple(section for section in SELFEVAL_SECTION_TITLES if section not in ("file", "total"))
#: monitoring: the parts of a monitoring report a comment can be on.
MONITORING_SECTIONS = tuple(section for section in MONITORING_SECTION_TITLES if section != "file")
#: The parts a comment can be on, by the kind of document.
SECTIONS_OF: dict[str, tuple[str, ...]] = {
    Kind.SELFEVAL: SELFEVAL_SECTIONS,
    Kind.MONITORING: MONITORING_SECTIONS,
}


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """A comment on a section (and row) of the table under review."""

    section: str
    row: int | None
    text: str


def _require(actor: Actor, action: Action, filing: Filing, what: str) -> None:
    """Refuse unless the actor may: judged on ``filing`` as the caller just read it (locked, where
    anything is changed), so the rules need no second query."""
    if actor.user is None or not may(actor.user, action, filing):
        raise Forbidden(f"您不能{what}“{filing}”（当前状态：{filing.get_status_display()}）。")


def report_of(
    table: TargetTable, source: str = "", read_findings: Sequence[Finding] = (), department: str | None = None
) -> Report:
    """The library's findings for a table being filed (with what reading its form found);
    ``department``: the filing's, so that a 部门名称 naming another is a warning the reviewer sees."""
    return check_table(table, source, read_findings, department=department)


#: Comments longer than this are refused (the model's own max_length, not enforced by the database).
COMMENT_MAX_LENGTH = 2000


def too_long(findings: Iterable[Finding]) -> str | None:
    """The first finding of a text beyond its limit (``jixiao.rules.limits``), if any."""
    return next((f.message for f in findings if f.code == "text-too-long"), None)


def _storable(report: Report) -> None:
    """Refuse a table with a text beyond its limit: nothing is stored."""
    message = too_long(report.findings)
    if message is not None:
        raise ServiceError(f"{message}未保存。")


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
            department=department, year=year - 1, kind=Kind.TARGET, status__in=TARGET.approved
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


# --- season: an uploaded table fitted to the filing it starts (department and year) ------------

#: A year written in a text: 2023年, 2023年度, 2023.07 (four digits standing alone).
YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@dataclass(frozen=True, slots=True)
class YearText:
    """A text of a table that names a year, carried over as it is when the table moves."""

    section: str
    row: int | None
    field: str
    text: str


@dataclass(frozen=True, slots=True)
class Fitted:
    """An uploaded table as it would start ``department``'s filing for ``year``: what differs
    (``department_from``: the file's 部门名称; ``year_from``: its year) and what moving keeps."""

    table: TargetTable
    department_from: str | None
    year_from: int | None
    carried: tuple[YearText, ...]


def year_texts(table: TargetTable, year: int) -> list[YearText]:
    """The texts of ``table`` (but its title) naming a year other than ``year``, such as a task
    named "2023年度综合运维服务项目" or an indicator value "2023.07-2024.01"."""
    found = []

    def look(section: str, row: int | None, field: str, text: str) -> None:
        if any(int(y) != year for y in YEAR_IN_TEXT.findall(text)):
            found.append(YearText(section, row, field, text))

    look("overall_goal", None, "overall_goal", table.overall_goal)
    for row, task in enumerate(table.tasks, start=1):
        for name in ("name", "content", "expected_outcome"):
            look("tasks", row, name, getattr(task, name) or "")
    for row, indicator in enumerate(table.indicators, start=1):
        for name in ("name", "explanation", "value"):
            look("indicators", row, name, getattr(indicator, name))
    return found


def fitted_to_filing(table: TargetTable, department: Department, year: int) -> Fitted:
    """``table`` (as read from a file) made the start of ``department``'s table for ``year``: the
    filing's department (its name; its 资金主管部门 too when the file is another department's) and year (see
    :func:`moved_to_year`).  The caller shows what differed and asks before storing it."""
    fitted = table.model_copy(deep=True)
    name_in_file = fitted.department.name.strip()
    department_from = name_in_file if name_in_file and name_in_file != department.name else None
    fitted.department.name = department.name
    # Another department's 资金主管部门 goes with its name; the file's own is kept otherwise.
    if department_from is not None or not fitted.department.competent_department:
        fitted.department.competent_department = department.competent_department
    year_from = fitted.year if fitted.year not in (None, year) else None
    carried = tuple(year_texts(fitted, year)) if year_from is not None else ()
    return Fitted(moved_to_year(fitted, year), department_from, year_from, carried)


# --- end season ------------------------------------------------------------------------------


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
    report = report_of(table, department=department.name)
    _storable(report)
    errors, warnings = _counts(report)
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
            audit.record(actor, AuditAction.START, filing=filing, after=filing.data)
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
    report = report_of(table, department=filing.department.name)
    _storable(report)
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
            AuditAction.SAVE,
            filing=current,
            before={c.label: c.before for c in changes},
            after={c.label: c.after for c in changes},
        )
    current.refresh_from_db()
    return current, report


# ---------------------------------------------------------------------------------------------
# Workflow: one generic transition, driven by the table in jixiao_web.workflow


@dataclass(frozen=True, slots=True)
class Taken:
    """A transition taken, and the version it acted on (frozen, received, published or taken back)."""

    transition: Transition
    version: Version | None


def transition(
    actor: Actor,
    filing: Filing,
    command: str,
    *,
    comments: Sequence[ReviewComment] = (),
    grade: str = "",
    reviewed: int | None = None,
) -> Taken:
    """Take the workflow step ``command`` (:mod:`jixiao_web.workflow`) on ``filing``, in one
    transaction: lock the filing, check access and what the transition names (the version the
    reviewer read, comments and grade, errors before freezing, not yet opened before taking back),
    do what it does, change the state and record it in the audit chain."""
    workflow = workflow_for(filing)
    offered = workflow.by_command(command)
    with transaction.atomic():
        filing = _locked(filing)
        _require(actor, offered[0].gate, filing, offered[0].verb)
        user = actor.user
        assert user is not None
        routed = any(t.head_first is not None for t in offered)
        head_first = routed and user.role == Role.FILER and City.current().head_approval_required
        step = workflow.step(command, filing.status, head_first=head_first)
        if step is None:  # not after the access check above (it reads the same table): refuse as it would
            raise Forbidden(f"您不能{offered[0].verb}“{filing}”（当前状态：{filing.get_status_display()}）。")
        if step.checks_reviewed:
            _check_reviewed(filing, reviewed)
        problem = _problem(step, grade, comments)
        if problem:
            raise ServiceError(problem)
        before = filing.status
        extra: dict[str, Any] = {}
        version: Version | None = None
        if step.freezes:
            version = _freeze(actor, filing)
            extra.update({audit.VERSION_KEY: version.number, **audit.version_identity(version)})
        elif step.takes_back:
            version = _take_back(actor, filing)
            extra[audit.VERSION_KEY] = version.number
        elif step.receives:
            version = latest_version(filing)
            assert version is not None
            extra[audit.VERSION_KEY] = version.number
        if step.receives:
            assert version is not None
            extra.update(audit.receipt(_receive(filing, version)))
        if step.publishes:
            version = filing.received_version
            assert version is not None
            filing.published_version = version
            filing.published_at = timezone.now()
            extra[audit.VERSION_KEY] = version.number
            extra[audit.PUBLISHED_AT_KEY] = audit.utc_text(filing.published_at)
        made = _comments(actor, filing, comments) if step.comments is not Need.NO else []
        if made:
            extra[audit.COMMENTS_KEY] = _said(made)
        if step.grade is not Need.NO:
            filing.grade = grade
            if grade:
                extra[audit.GRADE_KEY] = grade
        filing.status = step.target
        filing.save()
        audit.record(
            actor,
            step.audit,
            filing=filing,
            before={audit.STATUS_KEY: Status(before).label},
            after={**audit.filing_state(filing), **extra},
        )
        if step.target == Status.RETURNED:  # reminders: the department hears of it by e-mail
            returned = latest_version(filing)
            reminders.on_returned(
                filing,
                returned.number if returned is not None else 0,
                _said(made),
                by_head=step.command == "head_return",
            )
        _reached(actor, filing, workflow, step)
    if step.publishes:
        _render(version, actor)
    return Taken(step, version)


def _reached(actor: Actor, filing: Filing, workflow: Workflow, step: Transition) -> None:
    """What a kind of document does once a transition brought it somewhere (its hooks)."""
    if filing.kind != Kind.TARGET:
        return
    if step.target in library.COUNTED:  # library: an approved version's indicators join the 指标库
        library.update_for(filing)
    if step.target in workflow.approved:  # selfeval: its year's round is open: its self-evaluation
        from jixiao_web import selfeval

        selfeval.made_on_approval(actor, filing)
        from jixiao_web import monitoring  # monitoring: likewise its monitoring report

        monitoring.made_on_approval(actor, filing)


def frozen_report(filing: Filing) -> Report:
    """What freezing the working copy checks, by the kind of document: a target table's rules,
    a self-evaluation's (with its round's profile), or a monitoring report's."""
    if filing.kind == Kind.SELFEVAL:
        from jixiao_web import selfeval

        return selfeval.report_for(filing)
    if filing.kind == Kind.MONITORING:
        from jixiao_web import monitoring

        return monitoring.report_for(filing)
    return report_of(TargetTable.model_validate(filing.data), department=filing.department.name)


def _freeze(actor: Actor, filing: Filing) -> Version:
    """The working copy frozen as the filing's next version (refused while it has errors); a new
    version gets its own grade (the old one stays in the history)."""
    assert actor.user is not None
    report = frozen_report(filing)
    errors, warnings = _counts(report)
    if errors:
        noun = workflow_for(filing).noun
        raise NotSubmittable(f"{noun}中还有{errors}处错误，改正后才能提交。", report)
    version = Version.objects.create(
        filing=filing,
        number=filing.versions.count() + 1,
        data=filing.data,
        row_keys=keys_for(filing.data, filing.row_keys),
        report=report.to_dict(),
        errors=errors,
        warnings=warnings,
        created_by=actor.user,
    )
    evidence.freeze(version)  # monup: the files it is submitted with stay with it
    filing.row_keys = version.row_keys  # a table from before rows had keys keeps the version's
    filing.submitted_by = actor.user
    filing.errors, filing.warnings = errors, warnings
    filing.grade = ""
    return version


def _take_back(actor: Actor, filing: Filing) -> Version:
    """editor: the latest version taken back (refused once the finance bureau opened it); the
    bureau sees again the last version it received that nobody took back."""
    version = latest_version(filing)
    assert version is not None
    opened = Opened.objects.filter(version=version).select_related("by").first()
    if opened is not None:
        when = timezone.localtime(opened.at).strftime("%Y-%m-%d %H:%M")
        raise ServiceError(
            f"财政局已于{when}开始审核第{version.number}版，不能再撤回。如需修改，请联系财政局退回。"
        )
    assert actor.user is not None
    Withdrawal.objects.create(version=version, by=actor.user)
    if filing.received_version_id == version.pk:
        filing.received_version = (
            filing.versions.filter(received__isnull=False, withdrawal__isnull=True)
            .order_by("-number")
            .first()
        )
    return version


def _render(version: Version | None, actor: Actor | None = None) -> None:
    """The published version's downloads and the year's open data, made by the background worker
    (queue: the request that publishes does not wait for WeasyPrint)."""
    from jixiao_web import exports, jobs
    from jixiao_web.models import JobKind

    if version is None:
        return
    user = actor.user if actor is not None else None
    try:
        exports.rendering(version, user)
        if version.filing.kind == Kind.TARGET or version.filing.kind == Kind.SELFEVAL:
            jobs.start(JobKind.OPEN_DATA, params={"year": version.filing.year})
    except Exception:  # published all the same: a download starts what is missing
        log.exception("queueing the downloads of %s failed", version)


def _version(taken: Taken) -> Version:
    assert taken.version is not None
    return taken.version


def submit(actor: Actor, filing: Filing) -> Version:
    """Freeze the working copy as a new version and send it on (to the head or the finance bureau)."""
    return _version(transition(actor, filing, "submit"))


def _receive(filing: Filing, version: Version) -> Received:
    """The finance bureau receives ``version``: from now on it is what the bureau sees."""
    filing.received_version = version
    return Received.objects.create(version=version)


def _comments(actor: Actor, filing: Filing, comments: Sequence[ReviewComment]) -> list[Comment]:
    """Store the comments on the latest version; a row must be one of that version's rows."""
    version = latest_version(filing)
    assert version is not None
    assert actor.user is not None
    rows = {
        "tasks": len(version.data.get("tasks", [])),
        "indicators": len(version.data.get("indicators", [])),
    }
    sections = SECTIONS_OF.get(filing.kind, SECTIONS)
    made = []
    for comment in comments:
        if comment.section not in sections:
            raise ServiceError(f"意见所属部分“{comment.section}”不存在。")
        if comment.row is not None and not 1 <= comment.row <= rows.get(comment.section, 0):
            raise ServiceError(f"{place_of(comment.section, comment.row)}不存在，意见未保存。")
        text = comment.text.strip()
        if not text:
            continue
        if len(text) > COMMENT_MAX_LENGTH:
            where = place_of(comment.section, comment.row)
            raise ServiceError(f"{where}的意见有 {len(text)} 字，超过上限 {COMMENT_MAX_LENGTH} 字，未保存。")
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
    if not replies:
        return []  # a save with no comment listed (the common case) locks nothing more
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
                AuditAction.REPLY,
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
    transition(actor, filing, "head_approve")


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
    if by_head:
        transition(actor, filing, "head_return", comments=comments)
    else:
        transition(actor, filing, "return", comments=comments, grade=grade, reviewed=reviewed)


def approve(
    actor: Actor,
    filing: Filing,
    grade: str,
    comments: Sequence[ReviewComment] = (),
    reviewed: int | None = None,
) -> None:
    """Approve the submitted version with a grade (优/良 go ahead; 中/差 should be returned instead)."""
    transition(actor, filing, "approve", comments=comments, grade=grade, reviewed=reviewed)


def publish(actor: Actor, filing: Filing) -> Version:
    """Publish the approved version: it appears on the public portal with its downloads."""
    return _version(transition(actor, filing, "publish"))


def _problem(step: Transition, grade: str, comments: Sequence[ReviewComment]) -> str:
    """What is wrong with the grade and comments given for ``step`` (empty when nothing)."""
    if grade and grade not in Grade.values:
        return "审核等级只能是优、良、中、差。"
    if step.grade is Need.MUST and step.grades and grade not in step.grades:
        named = "或".join(f"“{g.value}”" for g in step.grades)
        if not grade:
            return f"请选择审核等级：{step.button}须评为{named}。"
        return f"{step.button}须评为{named}；评为“中”或“差”的表应退回修改。"
    if step.comments is Need.MUST and not any(c.text.strip() for c in comments):
        return "退回时请至少填写一条审核意见，说明要修改什么。"
    return ""


def decision_problem(
    decision: str, grade: str, comments: Sequence[ReviewComment], workflow: Workflow = TARGET
) -> str:
    """What is wrong with a review decision (``approve`` or ``return``) as posted (empty when
    nothing): checked by the services, and by the review page before it asks for confirmation."""
    return _problem(workflow.by_command(decision)[0], grade, comments)


def check_may_decide(actor: Actor, filing: Filing, reviewed: int | None) -> None:
    """Raise what :func:`approve` or :func:`return_filing` would for this actor, filing and
    reviewed version, without changing anything (the review page's confirmation step)."""
    filing.refresh_from_db()
    _require(actor, Action.REVIEW, filing, "审核")
    _check_reviewed(filing, reviewed)


def check_may_publish(actor: Actor, filing: Filing) -> None:
    """Raise what :func:`publish` would for this actor and filing, without publishing."""
    filing.refresh_from_db()
    step = workflow_for(filing).by_command("publish")[0]
    _require(actor, step.gate, filing, step.verb)


def _check_reviewed(filing: Filing, reviewed: int | None) -> None:
    """A decision names the version the reviewer read; a newer one arrived since is a conflict."""
    current = filing.received_version.number if filing.received_version else None
    if reviewed is not None and reviewed != current:
        raise Conflict(
            f"您审核的是第{reviewed}版，部门已提交了第{current}版。请重新打开审核页面，查看新版本后再决定。"
        )


# --- season: the contact details printed on the table to sign ---------------------------------

#: Filing field → its label, as the audit entry and the printed lines name it.
CONTACT_FIELDS = {
    "contact_head": "单位负责人",
    "contact_filer": "填报人",
    "contact_phone": "联系电话",
    "filled_on": "填报日期",
}


def set_contact(
    actor: Actor,
    filing: Filing,
    *,
    contact_head: str,
    contact_filer: str,
    contact_phone: str,
    filled_on: date | None,
) -> Filing:
    """Store who signs the printed table, whom to call and its 填报日期 (the department's own)."""
    values: dict[str, Any] = {
        "contact_head": contact_head.strip(),
        "contact_filer": contact_filer.strip(),
        "contact_phone": contact_phone.strip(),
        "filled_on": filled_on,
    }
    with transaction.atomic():
        current = _locked(filing)
        _require(actor, Action.CONTACT, current, "修改签章联系信息")
        changed = {name: value for name, value in values.items() if getattr(current, name) != value}
        if not changed:
            return current

        def shown(value: object) -> str:
            return value.isoformat() if isinstance(value, date) else str(value or "")

        before = {CONTACT_FIELDS[name]: shown(getattr(current, name)) for name in changed}
        Filing.objects.filter(pk=current.pk).update(**changed)
        audit.record(
            actor,
            AuditAction.CONTACT,
            filing=current,
            before=before,
            after={CONTACT_FIELDS[name]: shown(value) for name, value in changed.items()},
        )
    current.refresh_from_db()
    return current


# ---------------------------------------------------------------------------------------------
# editor: withdrawing a submission, and the finance bureau opening one (which ends the chance)


def mark_opened(actor: Actor, filing: Filing, version: Version) -> bool:
    """Record that a reviewer opened ``version`` for review, the first time only; True if now.

    Only a version waiting for the finance bureau counts; from then on it cannot be withdrawn.
    """
    with transaction.atomic():
        filing = _locked(filing)
        if (
            actor.user is None
            or filing.status not in workflow_for(filing).in_tab("waiting")
            or filing.received_version_id != version.pk
            or not allowed(actor.user, Action.REVIEW, filing)
            or Opened.objects.filter(version=version).exists()
        ):
            return False
        Opened.objects.create(version=version, by=actor.user)
        audit.record(actor, AuditAction.REVIEW_OPEN, filing=filing, after={"版本": version.number})
    return True


def withdraw(actor: Actor, filing: Filing) -> Version:
    """Take back the latest submission (to 草稿, the working copy as it was) while nobody has
    reviewed it: before the 部门负责人 decided, or before the finance bureau opened it."""
    return _version(transition(actor, filing, "withdraw"))


# ---------------------------------------------------------------------------------------------
# API tokens


def create_token(actor: Actor, name: str, *, days: int = TOKEN_DEFAULT_DAYS, read_only: bool = False) -> str:
    """A new API token for the actor, living ``days`` days (one of ``TOKEN_DAYS``); the key is
    returned once and only its digest is kept."""
    assert actor.user is not None
    if days not in TOKEN_DAYS:
        raise ServiceError(f"令牌有效期只能是 {'、'.join(map(str, TOKEN_DAYS))} 天。")
    name = name.strip()[:100] or "未命名"
    key = "jx_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        ApiToken.objects.create(
            user=actor.user,
            name=name,
            digest=ApiToken.digest_of(key),
            prefix=key[:8],
            expires_at=expires_at,
            read_only=read_only,
        )
        audit.record(
            actor,
            AuditAction.TOKEN_CREATE,
            target=f"API 令牌“{name}”",
            after={"有效期至": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M"), "只读": read_only},
        )
    return key


def revoke_token(actor: Actor, token: ApiToken) -> None:
    if actor.user is None or token.user_id != actor.user.pk:
        raise Forbidden("只能撤销自己的 API 令牌。")
    with transaction.atomic():
        audit.record(actor, AuditAction.TOKEN_REVOKE, target=f"API 令牌“{token.name}”")
        token.delete()


# ---------------------------------------------------------------------------------------------
# accounts: passwords, sessions, two-factor authentication, failed logins


def change_password(actor: Actor, new_password: str) -> None:
    """The actor sets their own password (already checked by the form).  Their API tokens die
    (``User.password_changed_at``) and so do their other sessions (Django's session hash)."""
    user = actor.user
    assert user is not None
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save()
        audit.record(actor, AuditAction.PASSWORD_CHANGE, target=str(user), after={"密码": "已修改"})


def sign_out_everywhere(actor: Actor) -> None:
    """Ends every session of the actor, on every device (this one too)."""
    user = actor.user
    assert user is not None
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
        audit.record(actor, AuditAction.SIGN_OUT_EVERYWHERE, target=str(user))


def record_login_failure(actor: Actor, username: str, reason: str) -> None:
    """A failed log-in: counted for throttling and written to the audit log (the name tried and
    the address; never the password)."""
    with transaction.atomic():
        LoginFailure.objects.create(username=username, address=actor.address)
        audit.record(
            actor,
            AuditAction.LOGIN_FAILED,
            target=f"用户名“{username[:150]}”",
            after={"用户名": username, "原因": reason},
        )


def enable_two_factor(actor: Actor, key: str, last_t: int) -> None:
    """Keeps the authenticator key the actor has just proved to hold (``last_t``: the time step of
    the code they typed, which cannot be used again).  Every other session of theirs ends."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = actor.user
    assert user is not None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="验证器应用", key=key, confirmed=True, last_t=last_t)
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
        audit.record(actor, AuditAction.TWO_FACTOR_ENABLE, target=str(user))


def disable_two_factor(actor: Actor) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = actor.user
    assert user is not None
    if two_factor_required(user):
        raise Forbidden("本市要求财政局角色使用两步验证，不能停用。更换手机请联系管理员。")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(actor, AuditAction.TWO_FACTOR_DISABLE, target=str(user))


def two_factor_required(user: User) -> bool:
    """Whether the city makes ``user`` (a finance bureau role) use two-factor authentication."""
    return user.role in FINANCE and City.current().bureau_two_factor_required


def require_password_change(actor: Actor, usernames: Sequence[str]) -> list[str]:
    """Marks the named accounts that still have their first password (``password_changed_at``
    unset) as having to change it at their next log-in; the names marked."""
    with transaction.atomic():
        users = User.objects.filter(
            username__in=usernames, password_changed_at__isnull=True, must_change_password=False
        )
        marked = sorted(users.values_list("username", flat=True))
        if marked:
            users.update(must_change_password=True)
            audit.record(
                actor, AuditAction.PASSWORD_CHANGE_REQUIRED, target="示例账号", after={"用户": marked}
            )
    return marked


# library: the indicator library (指标库)


def rebuild_library(actor: Actor) -> dict[str, int]:
    """Build the 指标库 again from every approved and published table (the bureau's marks stay)."""
    if actor.user is not None and not may_manage_library(actor.user):
        raise Forbidden("只有财政局可以重建指标库。")
    with transaction.atomic():
        counts = library.rebuild()
        audit.record(
            actor,
            AuditAction.LIBRARY_REBUILD,
            target="指标库",
            after={"目标表": counts["filings"], "指标行": counts["uses"], "指标": counts["entries"]},
        )
    return counts


def mark_library_entry(actor: Actor, entry: LibraryEntry, mark: str, note: str) -> LibraryEntry:
    """The finance bureau marks an indicator of the 指标库 recommended or discouraged (or neither),
    with a note the filers see beside the suggestion."""
    if actor.user is None or not may_manage_library(actor.user):
        raise Forbidden("只有财政局可以标记指标库中的指标。")
    if mark not in LibraryMark.values:
        raise ServiceError("标记只能是推荐、不建议或不标记。")
    note = " ".join(note.split())[:200]
    with transaction.atomic():
        current = LibraryEntry.objects.select_for_update().get(pk=entry.pk)
        before = {"标记": LibraryMark(current.mark).label, "说明": current.note}
        after = {"标记": LibraryMark(mark).label, "说明": note}
        if before == after:
            return current
        library.set_mark(current, mark, note, actor.user)
        audit.record(
            actor,
            AuditAction.LIBRARY_MARK,
            target=f"指标库：{current.level1}/{current.level2}/{current.name}"[:200],
            before=before,
            after=after,
        )
    return current
