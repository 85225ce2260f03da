"""The finance bureau's pages: the queue, the review page, return / approve, publish.

A decision (退回, 审核通过, 发布) is confirmed before it is made: in the page by
``static/jixiao_web/review.js``, or, without JavaScript, by the server answering the first post
with the page and a confirmation box (``confirmed`` is what the second post adds).  A refused
decision comes back as the page with everything typed in it and the reason (400, or 409 when the
filing changed under the reviewer), never as an empty form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jixiao.findings import SECTION_TITLES
from jixiao.model import TargetTable, format_amount
from jixiao.model.table import Indicator, Task
from jixiao.write.html import html_body
from jixiao_web import selectors, services
from jixiao_web.access import Action, allowed_actions, is_finance
from jixiao_web.diff import Change, diff_tables
from jixiao_web.models import Filing, FilingYear, Grade, Kind, StockPhrase, Version
from jixiao_web.rows import RowKeys, keys_for
from jixiao_web.services import SECTIONS
from jixiao_web.views.common import actor_of, comment_field, filing_for, posted_comments
from jixiao_web.wording import place_of
from jixiao_web.workflow import TARGET, Transition, workflow_for

#: Departments listed on one page of the queue.
QUEUE_PAGE_SIZE = 50


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Every department for a year: status, submitted at, findings, late; tabs 待审核 / 已审核 /
    全部 and filters.  Opened plainly, on the year with work waiting, every department (what waits
    is listed first; after a decision the reviewer comes back here and sees the table just decided)."""
    from jixiao_web.views.season import queue_choice  # season: the queue's choices, shared with its export

    if not is_finance(request.user):
        raise Http404("只有财政局的审核人员可以查看审核队列。")
    choice = queue_choice(request)
    years = list(FilingYear.objects.all())
    filing_year = next((y for y in years if y.year == choice.year), None)
    every = selectors.review_queue(request.user, choice.year)
    counts = {tab: len(selectors.filtered_queue(every, tab)) for tab in selectors.QUEUE_TABS}
    rows = selectors.filtered_queue(every, choice.tab, choice.query, choice.late_only)
    # A province lists thousands of departments: a page at a time (the export has them all).
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "jixiao_web/queue.html",
        {
            "rows": page.object_list,
            "page": page,
            "previous_query": choice.params(page=page.number - 1) if page.has_previous() else "",
            "next_query": choice.params(page=page.number + 1) if page.has_next() else "",
            "years": years,
            "year": choice.year,
            "choice": choice,
            "tabs": [
                (key, label, counts[key], choice.params(tab=key))
                for key, label in selectors.QUEUE_TABS.items()
            ],
            "deadline": filing_year.deadline if filing_year else None,
            "late_count": sum(1 for r in every if r.late),
            "waiting": counts["waiting"],
        },
    )


# ---------------------------------------------------------------------------------------------
# What a comment can be on


@dataclass(frozen=True, slots=True)
class Target:
    """A section or a row one can comment on: the form field, where it is, what it holds."""

    section: str
    row: int | None
    name: str
    place: str
    summary: str


def _amount(value: Any) -> str:
    return format_amount(value) if value is not None else "—"


def _section_summary(table: TargetTable, key: str) -> str:
    department, budget = table.department, table.budget
    summaries = {
        "title": table.title,
        "department": f"{department.name}，{department.competent_department}，"
        f"人员 {department.staff_count if department.staff_count is not None else '—'}",
        "budget": (
            f"支出预算总量 {_amount(budget.total_expenditure)}；"
            if budget.total_expenditure is not None
            else ""
        )
        + f"基本支出 {_amount(budget.basic_expenditure)}，项目支出 {_amount(budget.project_expenditure)}"
        f"；财政拨款 {_amount(budget.fiscal_appropriation)}，其他资金 {_amount(budget.other_funds)}（万元）",
        "tasks": f"共 {len(table.tasks)} 项任务（整体意见）",
        "indicators": f"共 {len(table.indicators)} 个指标（整体意见）",
        "overall_goal": "\n".join(
            [table.overall_goal]
            + [
                f"{TargetTable.model_fields[name].title}：{text}"
                for name in ("duties", "long_term_goal")
                if (text := getattr(table, name))
            ]
        ),
    }
    return summaries.get(key, "")


def comment_targets(table: TargetTable) -> list[Target]:
    """Every section, then every task and indicator row, in printed order (the stored order)."""
    targets = [
        Target(key, None, f"comment:{key}", label, _section_summary(table, key))
        for key, label in ((k, SECTION_TITLES[k]) for k in SECTIONS)
    ]
    for row, task in enumerate(table.tasks, start=1):
        kind = "重点工作任务" if task.kind == "key" else "其他任务"
        summary = f"{kind}：{task.name}（{_amount(task.amount)} 万元）"
        if task.expected_outcome:
            summary += f"，{Task.model_fields['expected_outcome'].title}：{task.expected_outcome}"
        targets.append(Target("tasks", row, f"comment:tasks:{row}", place_of("tasks", row), summary))
    for row, indicator in enumerate(table.indicators, start=1):
        summary = (
            f"{indicator.level1}/{indicator.level2}：{indicator.name} "
            f"{indicator.comparator or ''}{indicator.value}{indicator.unit}"
        )
        if indicator.weight is not None:
            summary += f"（{Indicator.model_fields['weight'].title} {format_amount(indicator.weight)}）"
        targets.append(
            Target("indicators", row, f"comment:indicators:{row}", place_of("indicators", row), summary)
        )
    return targets


@dataclass(slots=True)
class ReviewRow:
    """One part of the review list: a target with what was typed for it, its changes since the
    previous version, its findings and the comments made on it before."""

    target: Target
    typed: str = ""
    changes: list[Change] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: list[selectors.ShownComment] = field(default_factory=list)

    @property
    def notable(self) -> bool:
        return bool(self.typed or self.changes or self.issues or self.comments)


def _review_rows(
    table: TargetTable,
    changes: list[Change] | None,
    issues: list[dict[str, Any]],
    comments: list[selectors.ShownComment],
    typed: dict[str, str],
) -> list[ReviewRow]:
    by_place: dict[tuple[str, int | None], ReviewRow] = {}
    rows = []
    for target in comment_targets(table):
        row = ReviewRow(target, typed.get(target.name, ""))
        by_place[(target.section, target.row)] = row
        rows.append(row)
    for change in changes or []:
        # A removed row is only in the list of changes: it has no place on this version.
        if not change.label.split("·")[0].endswith("（已删除）"):
            place = by_place.get((change.section, change.row)) or by_place.get((change.section, None))
            if place is not None:
                place.changes.append(change)
    for issue in issues:
        location = issue.get("location") or {}
        place = by_place.get((location.get("section", ""), location.get("row"))) or by_place.get(
            (location.get("section", ""), None)
        )
        if place is not None:
            place.issues.append(issue)
    for comment in comments:
        # A comment on a row since deleted stands with its section (marked 该行已删除).
        place = by_place.get((comment.comment.section, comment.row_now))
        if place is not None:
            place.comments.append(comment)
    return rows


# ---------------------------------------------------------------------------------------------
# The page


def _posted(request: HttpRequest) -> dict[str, str]:
    """The comment boxes as posted (to show again), by field name."""
    return {
        key: value
        for key, value in request.POST.items()
        if key.startswith("comment:") and len(key) <= 40 and isinstance(value, str)
    }


def _review_page(
    request: HttpRequest,
    filing: Filing,
    *,
    typed: dict[str, str] | None = None,
    grade: str = "",
    error: str = "",
    confirm: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    if filing.kind == Kind.SELFEVAL:  # selfeval: its own page, the same decisions
        from jixiao_web.views.selfeval import review_page

        return review_page(request, filing, typed=typed, error=error, confirm=confirm, status=status)
    can = allowed_actions(request.user, filing)
    latest = selectors.reviewed_version(request.user, filing, can)
    if latest is None:
        raise Http404("这张表还没有提交过。")
    if Action.REVIEW in can:  # editor: the first opening ends the department's chance to withdraw
        services.mark_opened(actor_of(request), filing, latest)
    previous = selectors.previous_version(latest, request.user, can)
    table = TargetTable.model_validate(latest.data)
    keys = keys_for(latest.data, latest.row_keys)
    changes = _changes(previous, latest, keys) if previous else None
    comments = selectors.shown_comments(filing, request.user, keys, can)
    issues = latest.report.get("issues", [])
    typed = typed or {}
    rows = _review_rows(table, changes, issues, comments, typed)
    can_review = Action.REVIEW in can
    return render(
        request,
        "jixiao_web/review.html",
        {
            "filing": filing,
            "version": latest,
            "previous": previous,
            "table": table,
            "official": html_body(table, top=2, numbered=True),
            "issues": issues,
            "changes": changes,
            "comments": comments,
            "rows": rows,
            "notable": sum(1 for row in rows if row.notable),
            "grades": Grade.choices,
            "grade": grade,
            "can_review": can_review,
            "can_publish": Action.PUBLISH in can,
            # The workflow table's buttons and confirmations (review.js fills them in).
            "steps": {command: TARGET.by_command(command)[0] for command in ("return", "approve", "publish")},
            "publish_confirm": TARGET.by_command("publish")[0].confirm.format(number=latest.number),
            "phrases": list(StockPhrase.objects.values_list("text", flat=True)) if can_review else [],
            "error": error,
            "confirm": confirm,
            # What was typed where there is no form to put it back into (the filing moved on).
            "unsent": [(_place(name), text) for name, text in typed.items() if text.strip()]
            if not can_review
            else [],
        },
        status=status,
    )


def _place(name: str) -> str:
    """Where a comment box's field (``comment:indicators:3``) is, in words."""
    where = comment_field(name)
    return place_of(*where) if where is not None else name


def _changes(previous: Version, latest: Version, keys: RowKeys) -> list[Change]:
    """What changed since ``previous``; rows paired by key when it has keys (``keys``: the
    latest's, as the page already made them)."""
    paired = bool(previous.row_keys)
    return diff_tables(
        previous.data,
        latest.data,
        keys_for(previous.data, previous.row_keys) if paired else None,
        keys if paired else None,
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The table under review: a list of its sections and rows, each with its changes, findings,
    earlier comments and a comment box; the decision bar; the numbered official layout."""
    filing = filing_for(request, pk, Action.HISTORY)
    return _review_page(request, filing)


def _what_happens(step: Transition, grade: str, count: int) -> str:
    """The confirmation's words: what the decision will do (the workflow table's)."""
    sent = f"将发送 {count} 条意见" if count else "不附意见"
    graded = f"（等级：{grade}）" if grade else ""
    return step.confirm.format(grade=grade, graded=graded, sent=sent)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Return (with comments) or approve (with a grade) the submitted version, once confirmed."""
    filing = filing_for(request, pk, Action.HISTORY)
    grade = request.POST.get("grade", "")
    # The server's confirmation box posts ``confirm=<decision>``; the page's script ``confirmed=1``.
    chosen = request.POST.get("confirm") or request.POST.get("decision")
    decision = "approve" if chosen == "approve" else "return"
    confirmed = "confirm" in request.POST or request.POST.get("confirmed") == "1"
    version_text = request.POST.get("version", "")
    reviewed = int(version_text) if version_text.isdecimal() and len(version_text) <= 9 else None
    comments = posted_comments(request)
    typed = _posted(request)
    try:
        workflow = workflow_for(filing)
        problem = services.decision_problem(decision, grade, comments, workflow)
        if problem:
            raise services.ServiceError(problem)
        step = workflow.by_command(decision)[0]
        if not confirmed:
            services.check_may_decide(actor_of(request), filing, reviewed)
            confirm = {
                "decision": decision,
                "button": step.confirm_button,
                "text": _what_happens(step, grade, len(comments)),
            }
            return _review_page(request, filing, typed=typed, grade=grade, confirm=confirm)
        taken = services.transition(
            actor_of(request), filing, decision, comments=comments, grade=grade, reviewed=reviewed
        )
        messages.success(request, taken.transition.done.format(grade=grade))
    except services.ServiceError as error:
        if not is_finance(request.user):
            messages.error(request, str(error))
            return redirect("review", pk=filing.pk)
        filing.refresh_from_db()
        conflict = isinstance(error, services.Conflict | services.Forbidden)
        return _review_page(
            request, filing, typed=typed, grade=grade, error=str(error), status=409 if conflict else 400
        )
    if filing.kind == Kind.SELFEVAL:
        return redirect(f"{reverse('selfeval-rounds')}?year={filing.year}")
    return redirect("queue")


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the approved version, once confirmed."""
    filing = filing_for(request, pk, Action.HISTORY)
    try:
        step = workflow_for(filing).by_command("publish")[0]
        if "confirm" not in request.POST and request.POST.get("confirmed") != "1":
            services.check_may_publish(actor_of(request), filing)
            number = filing.received_version.number if filing.received_version else ""
            confirm = {
                "decision": "publish",
                "button": step.confirm_button,
                "text": step.confirm.format(number=number),
            }
            return _review_page(request, filing, confirm=confirm)
        services.transition(actor_of(request), filing, "publish")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("review", pk=filing.pk)
    messages.success(request, step.done.format(document=filing))
    if filing.kind == Kind.SELFEVAL:
        return redirect("public-selfeval", year=filing.year, code=filing.department.code)
    return redirect("public-table", year=filing.year, code=filing.department.code)
