"""The self-evaluation's pages: the finance bureau's round (open it, see every department), the
department's form (scores live as it types), its page (versions, comments, history, evidence),
the bureau's review (per-row comments, 复核 of scores, return, approve, publish) and the public page.

The workflow steps are the shared ones (:func:`jixiao_web.services.transition` through the review
page's ``decide`` and ``publish`` views and :mod:`jixiao_web.views.steps`' ``submit`` and
``withdraw``); the form reuses
the target table's editor script (``editor.js``: drafts kept in the browser, the session watched,
findings beside the fields) with ``selfeval.js`` showing the scores the live check returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jixiao.catalogue import SELFEVAL_SECTION_TITLES
from jixiao.findings import Report
from jixiao.model import format_amount
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import documents, exports, monitoring, selectors, selfeval, services
from jixiao_web import evidence as evidence_files
from jixiao_web.access import Action, allowed_actions, is_finance, may
from jixiao_web.charts import Bar, bar_chart
from jixiao_web.diff import Change
from jixiao_web.models import City, Filing, Kind, SelfEvalRound, Status, Version
from jixiao_web.selfevalform import FUNDS_COLUMNS, FUNDS_ROWS, TIERS, form_values, parse_form, scores_json
from jixiao_web.views.common import (
    actor_of,
    posted_replies,
    report_context,
    selfeval_for,
    session_expired,
    typed_deadline,
)
from jixiao_web.views.steps import opened, submitted
from jixiao_web.wording import variant_label
from jixiao_web.workflow import SELFEVAL, TARGET


def _amount(value: Decimal | None) -> str:
    return format_amount(value) if value is not None else ""


# ---------------------------------------------------------------------------------------------
# The 自评表 as the pages show it


@dataclass(slots=True)
class IndicatorLine:
    row: int
    indicator: Any
    values: dict[str, str]
    qualitative: bool
    score: Any
    reviewed: Any = None
    final: Decimal | None = None
    #: What the year's last monitoring report forecast of this row (None: nothing).
    forecast: monitoring.Forecast | None = None


@dataclass(slots=True)
class Sheet:
    """Everything the 自评表 shows: the copied parts, what the department typed (``values``, as
    text: a refused form shows them again) and the scores."""

    evaluation: SelfEvaluation
    values: dict[str, Any]
    scored: selfeval.Scored
    funds: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[IndicatorLine] = field(default_factory=list)
    #: The year's last monitoring report the forecasts come from (not on the public page).
    monitored: monitoring.LastMonitoring | None = None


def sheet(
    scored: selfeval.Scored,
    values: dict[str, Any] | None = None,
    monitored: monitoring.LastMonitoring | None = None,
) -> Sheet:
    """The 自评表 as a page shows it; ``monitored``: the department's last monitoring report of the
    year, whose forecast each row shows (the department's and the bureau's pages, never the public)."""
    evaluation = scored.evaluation
    values = values if values is not None else form_values(evaluation)
    out = Sheet(evaluation, values, scored, monitored=monitored)
    copied = selfeval.approved_initial(evaluation)
    for name, label in FUNDS_ROWS:
        row = getattr(evaluation.funds, name)
        out.funds.append(
            {
                "name": name,
                "label": label,
                "initial": _amount(row.initial_budget),
                # The approved table does not show it: the department fills it in.
                "initial_field": None
                if copied[name] is not None
                else (f"funds_{name}_initial_budget", values["funds"][name]["initial_budget"]),
                "fields": [
                    (f"funds_{name}_{column}", column, column_label, values["funds"][name][column])
                    for column, column_label in FUNDS_COLUMNS
                ],
            }
        )
    for number, (task, typed) in enumerate(zip(evaluation.approved.tasks, values["tasks"], strict=True), 1):
        out.tasks.append({"row": number, "task": task, "amount": _amount(task.amount), **typed})
    for row, (indicator, typed) in enumerate(
        zip(evaluation.approved.indicators, values["indicators"], strict=True), 1
    ):
        row_score = scored.scores.rows[row - 1]
        reviewed = scored.reviewed.get(row)
        out.indicators.append(
            IndicatorLine(
                row,
                indicator,
                typed,
                indicator.comparator == "定性",
                row_score,
                reviewed,
                reviewed.score if reviewed is not None else row_score.score,
                monitored.of(indicator.level1, indicator.level2, indicator.name)
                if monitored is not None
                else None,
            )
        )
    return out


def _monitored(filing: Filing) -> monitoring.LastMonitoring | None:
    return monitoring.last_monitoring(filing.department_id, filing.year)


# ---------------------------------------------------------------------------------------------
# The finance bureau's round


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """绩效自评: the finance bureau opens a year's round (profile, deadline) and sees every
    department's self-evaluation of it: status, score, grade, lateness."""
    if not is_finance(request.user):
        raise Http404("只有财政局可以管理绩效自评。")
    years = sorted(set(SelfEvalRound.objects.values_list("year", flat=True)), reverse=True)
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdecimal() and len(asked) <= 4 else (years[0] if years else None)
    context: dict[str, Any] = {
        "variants": list(VARIANTS),
        "rounds": SelfEvalRound.objects.all(),
        "year": year,
    }
    if request.method == "POST":
        typed = {k: request.POST.get(k, "") for k in ("year", "variant", "profile", "deadline")}
        context["typed"] = typed
        try:
            chosen = int(typed["year"]) if typed["year"].isdecimal() and len(typed["year"]) == 4 else None
            deadline = typed_deadline(typed["deadline"])
            if chosen is None:
                raise selfeval.RoundError("请填写年度（四位数字）。")
            if deadline is None:
                raise selfeval.RoundError("请填写提交截止日期（如 2025-03-31）。")
            profile = selfeval.profile_named(typed["variant"], typed["profile"])
            opened = selfeval.open_round(actor_of(request), chosen, profile, deadline)
        except selfeval.RoundError as error:
            context["error"] = str(error)
            return render(request, "jixiao_web/selfeval_rounds.html", context, status=400)
        made = "、".join(str(f.department) for f in opened.made) or "没有新的部门"
        messages.success(
            request,
            f"已开启{chosen}年度绩效自评（评分设定：{variant_label(profile.name)}）；新生成自评表：{made}。",
        )
        return redirect(f"{reverse('selfeval-rounds')}?year={chosen}")
    if year is not None:
        current = SelfEvalRound.objects.filter(year=year).first()
        context["current"] = current
        if current is not None:
            context.update(overview(request, year))
    return render(request, "jixiao_web/selfeval_rounds.html", context)


# ---------------------------------------------------------------------------------------------
# The finance bureau's overview of a year: sortable, charted, exported


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the overview the bureau may sort by (``?sort=key``, ``-key`` descending)."""

    key: str
    label: str
    value: Callable[[selectors.SelfEvalRow], Any]


_STATUS_ORDER = [status.label for status in Status]


def _status_rank(row: selectors.SelfEvalRow) -> int:
    return _STATUS_ORDER.index(row.status_label) if row.status_label in _STATUS_ORDER else -1


COLUMNS: Final = (
    Column("department", "部门", lambda r: r.department.code),
    Column("status", "状态", _status_rank),
    Column("submitted", "首次提交", lambda r: r.submitted),
    Column("execution", "执行率", lambda r: r.execution_rate),
    Column("total", "总分", lambda r: r.total),
    Column("grade", "等级", lambda r: r.total if r.grade else None),
    Column("late", "逾期", lambda r: r.late_days),
)
_BY_KEY: Final = {column.key: column for column in COLUMNS}


def sorted_rows(rows: list[selectors.SelfEvalRow], sort: str) -> list[selectors.SelfEvalRow]:
    """``rows`` sorted as ``sort`` asks (``total``, ``-total`` …; anything else: as they come),
    rows without the value last either way."""
    column = _BY_KEY.get(sort.removeprefix("-"))
    if column is None:
        return rows
    known = [r for r in rows if column.value(r) is not None]
    unknown = [r for r in rows if column.value(r) is None]
    known.sort(key=lambda r: (column.value(r), r.department.code), reverse=sort.startswith("-"))
    return known + unknown


def _headings(year: int, sort: str) -> list[dict[str, str]]:
    out = []
    for column in COLUMNS:
        ascending, descending = sort == column.key, sort == f"-{column.key}"
        wanted = f"-{column.key}" if ascending else column.key
        out.append(
            {
                "label": column.label,
                "href": "?" + urlencode({"year": year, "sort": wanted}),
                "aria_sort": "ascending" if ascending else "descending" if descending else "",
                "marker": "（升序）" if ascending else "（降序）" if descending else "",
            }
        )
    return out


#: The colour (CSS class) of each grade band, best first; words are always beside the colour.
GRADE_KINDS: Final = ("grade-best", "grade-good", "grade-fair", "grade-poor")
UNSCORED = "未评分"


def short_name(name: str, city: str) -> str:
    """A department's name without the city's (``揭阳市民政局`` → ``民政局``), for the charts."""
    return name.removeprefix(city) if city and name != city else name


def overview(request: HttpRequest, year: int) -> dict[str, Any]:
    """The overview's rows (sorted as asked), headings, and two charts with their figures: the
    grade distribution and the scores by department."""
    sort = request.GET.get("sort", "")
    sort = sort if sort.removeprefix("-") in _BY_KEY else ""
    rows = sorted_rows(selectors.selfeval_queue(request.user, year), sort)
    profile = selfeval.profile_of(year)
    grades = [band.grade for band in profile.grade_bands]
    counted = len(rows)
    counts = [sum(1 for r in rows if r.grade == grade) for grade in grades]
    counts.append(counted - sum(counts))

    def share(count: int) -> Decimal:
        return (Decimal(100 * count) / counted).quantize(Decimal("0.1")) if counted else Decimal(0)

    labels = [*grades, UNSCORED]
    kinds = [*(GRADE_KINDS[min(i, len(GRADE_KINDS) - 1)] for i in range(len(grades))), "grade-none"]
    distribution = [
        Bar(label, count, share(count), kind)
        for label, count, kind in zip(labels, counts, kinds, strict=True)
    ]
    city = City.current().name
    scored = sorted(
        (r for r in rows if r.total is not None), key=lambda r: (-(r.total or 0), r.department.code)
    )
    kind_of = dict(zip(grades, kinds, strict=False))
    scores = [
        Bar(
            short_name(r.department.name, city),
            0,
            r.total or Decimal(0),
            kind_of.get(r.grade, "grade-none"),
            f"{r.total} 分（{r.grade}）",
        )
        for r in scored
    ]
    return {
        "rows": rows,
        "sort": sort,
        "headings": _headings(year, sort),
        "distribution": distribution,
        "distribution_total": counted,
        "distribution_chart": bar_chart(distribution, f"{year}年度绩效自评等级分布"),
        "scored": scored,
        "scores_chart": bar_chart(scores, f"{year}年度各部门自评总分", label_width=170) if scores else "",
        "export_query": urlencode({"year": year, **({"sort": sort} if sort else {})}),
    }


OVERVIEW_HEADINGS: Final = (
    "部门",
    "状态",
    "首次提交",
    "逾期",
    "所附版本",
    "年初预算数（万元）",
    "全年预算数（万元）",
    "全年执行数（万元）",
    "执行率（%）",
    "预算执行得分",
    "指标得分",
    "自评总分",
    "等级",
    "财政局复核的指标数",
)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@login_required
def overview_export(request: HttpRequest) -> HttpResponse:
    """Every department's results of a year's self-evaluation (default: the latest) in one XLSX: a
    summary sheet (as the overview is sorted), then each self-evaluation the bureau received, in the official
    layout, with the bureau's reviewed scores."""
    from jixiao.write.selfeval import selfeval_workbook

    if not is_finance(request.user):
        raise Http404("只有财政局可以导出绩效自评结果。")
    asked = request.GET.get("year", "")
    rounds = SelfEvalRound.objects.order_by("-year")
    if asked:  # else the latest round, as on the overview
        rounds = rounds.filter(year=int(asked)) if asked.isdecimal() and len(asked) <= 4 else rounds.none()
    current = rounds.first()
    if current is None:
        raise Http404("该年度尚未开启绩效自评。")
    year = current.year
    sort = request.GET.get("sort", "")
    rows = sorted_rows(selectors.selfeval_queue(request.user, year), sort)
    profile = selfeval.profile_of(year)
    evaluations: list[tuple[str, SelfEvaluation]] = []
    summary: list[list[Any]] = []
    links: list[int | None] = []
    for row in rows:
        scored = row.scored
        if row.version is not None and scored is not None:
            links.append(len(evaluations))
            evaluations.append(
                (row.department.name, selfeval.as_reviewed(scored.evaluation, scored.reviewed, profile))
            )
            total = scored.evaluation.funds.total
            execution = scored.scores.execution
            indicators = scored.total - execution.score
            figures: list[Any] = [
                f"第{row.version}版",
                total.initial_budget,
                total.annual_budget,
                total.executed,
                execution.rate_percent,
                execution.score,
                indicators,
                scored.total,
                scored.grade,
                len(scored.reviewed),
            ]
        else:
            links.append(None)
            figures = [""] + [None] * 7 + ["", None]
        summary.append(
            [
                row.department.name,
                row.status_label,
                _when(row.submitted),
                f"逾期 {row.late_days} 天" if row.late else "",
                *figures,
            ]
        )
    city = City.current().name
    title = (
        f"{city}{year}年度部门整体支出绩效自评结果（评分设定：{variant_label(profile.name)}，{len(rows)}个部门，"
        f"导出于{_when(timezone.now())}）"
    )
    content = selfeval_workbook(evaluations, profile, OVERVIEW_HEADINGS, summary, title, links)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{city}{year}年度绩效自评结果.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


# ---------------------------------------------------------------------------------------------
# The department's form


def _editor(
    request: HttpRequest,
    filing: Filing,
    scored: selfeval.Scored,
    values: dict[str, Any] | None,
    report: Report,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "filing": filing,
        "sheet": sheet(scored, values, _monitored(filing)),
        "tiers": TIERS,
        "editable": True,
        "report": report_context(report),
        "comments": selectors.typed_replies(
            selectors.shown_comments(filing, request.user, None), request.POST
        ),
        "can_reply": True,
        "check_url": reverse("selfeval-check", args=[filing.pk]),
        "evidence": evidence_files.current(filing),
        **extra,
    }
    return render(request, "jixiao_web/selfeval_edit.html", context, status=status)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The 自评表 form.  A save names the revision it started from; a newer one is a conflict."""
    filing = selfeval_for(request, pk, Action.VIEW)
    if not may(request.user, Action.EDIT, filing):
        messages.info(request, f"这张自评表当前为“{filing.get_status_display()}”，不能修改。")
        return redirect("selfeval-detail", pk=filing.pk)
    stored = selfeval.evaluation_of(filing.data)
    if request.method != "POST":
        return _editor(
            request,
            filing,
            selfeval.scored(filing),
            None,
            selfeval.report_for(filing),
            revision=filing.revision,
        )
    parsed = parse_form(request.POST, stored, selfeval.profile_of(filing.year))
    revision_text = request.POST.get("revision", "")
    revision = int(revision_text) if revision_text.isdecimal() and len(revision_text) <= 9 else 0
    evaluation = selfeval.merged(filing, parsed.data)
    data = evaluation.model_dump(mode="json")
    scored = selfeval.scored(filing, data=data)
    if parsed.findings:
        report = Report("", [*parsed.findings, *selfeval.report_for(filing, data).findings])
        message = "有金额或分数无法识别，未保存。请改正标出的栏目后再保存；您填写的内容仍在下面。"
        return _editor(
            request, filing, scored, parsed.raw, report, 400, revision=revision, form_error=message
        )
    try:
        filing, _ = selfeval.save(actor_of(request), filing, evaluation, revision)
        services.reply_to_comments(actor_of(request), filing, posted_replies(request))
    except selfeval.SaveConflict as error:
        report = selfeval.report_for(filing, data)
        return _editor(
            request,
            filing,
            scored,
            parsed.raw,
            report,
            409,
            revision=revision,
            form_error=str(error),
            conflict=True,
        )
    except (selfeval.SaveError, services.ServiceError) as error:
        messages.error(request, str(error))
        return redirect("selfeval-detail", pk=filing.pk)
    messages.success(
        request, f"已保存（第{filing.revision}次修订）：错误 {filing.errors} 条，警告 {filing.warnings} 条。"
    )
    if "submit" in request.POST:
        return submitted(request, filing)
    return redirect("selfeval-edit", pk=filing.pk)


@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The findings and scores of the form as it is now, without saving (the page asks as one
    types); signed out it answers a JSON 401 the editor script recognises."""
    if not request.user.is_authenticated:
        return session_expired()
    filing = selfeval_for(request, pk, Action.DRAFT)
    parsed = parse_form(request.POST, selfeval.evaluation_of(filing.data), selfeval.profile_of(filing.year))
    data = selfeval.merged(filing, parsed.data).model_dump(mode="json")
    report = Report("", [*parsed.findings, *selfeval.report_for(filing, data).findings])
    scored = selfeval.scored(filing, data=data)
    return JsonResponse(
        {
            "issues": [f.to_dict() for f in report.findings],
            "scores": scores_json(scored.scores),
            "revision": filing.revision,
            "csrf_token": get_token(request),
        }
    )


# ---------------------------------------------------------------------------------------------
# Its page


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The self-evaluation as filed (the department its working copy, the bureau the version it
    received), its scores with the bureau's reviewed ones, comments, versions, evidence, history."""
    filing = selfeval_for(request, pk, Action.VIEW)
    can = allowed_actions(request.user, filing)
    shown = selectors.shown_table(request.user, filing, can)
    if Action.HISTORY not in can or shown is None:
        return redirect("public-selfeval", year=filing.year, code=filing.department.code)
    scored = selfeval.scored_as_shown(filing, shown.version, shown.data)
    report = shown.version.report if shown.version is not None else selfeval.report_for(filing).to_dict()
    history = selectors.history_of(filing, request.user, can)
    return render(
        request,
        "jixiao_web/selfeval.html",
        {
            "filing": filing,
            "shown": shown,
            "sheet": sheet(scored, monitored=_monitored(filing)),
            "editable": False,
            "report": report_context(report),
            "comments": selectors.shown_comments(filing, request.user, None, can),
            "versions": list(selectors.versions_of(filing, request.user, can)),
            "history": history[:30],
            "can": {action.value: action in can for action in Action},
            "buttons": SELFEVAL.buttons(),
            "withdrawal": SELFEVAL.step("withdraw", filing.status) if Action.WITHDRAW in can else None,
            "opened": opened(filing) if Action.WITHDRAW in can else None,
            "evidence": evidence_files.panel(request.user, filing, can),
        },
    )


# ---------------------------------------------------------------------------------------------
# The finance bureau's review


def _changes(previous: Version, latest: Version) -> list[Change]:
    """What the department changed since ``previous`` (the copied parts never change)."""
    old, new = documents.flat(previous.data), documents.flat(latest.data)
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if path.startswith("approved") or old.get(path) == new.get(path):
            continue
        section = path.split(".")[0].split("[")[0]
        row = int(path.split("[")[1].split("]")[0]) if "[" in path else None
        shown = {"goal_actual": "overall_goal", "problems": "conclusion", "improvements": "conclusion"}
        changes.append(
            Change(
                shown.get(section, section),
                row,
                path.rsplit(".", 1)[-1],
                documents.labelled(path, selfeval.LABELS),
                "" if old.get(path) is None else str(old.get(path)),
                "" if new.get(path) is None else str(new.get(path)),
            )
        )
    return changes


def review_page(
    request: HttpRequest,
    filing: Filing,
    *,
    typed: dict[str, str] | None = None,
    error: str = "",
    confirm: dict[str, str] | None = None,
    score_typed: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The review page of a self-evaluation (``views.review`` hands it over by kind);
    ``score_typed``: a refused 复核 (row, score, reason), shown again in its row's form."""
    can = allowed_actions(request.user, filing)
    latest = selectors.reviewed_version(request.user, filing, can)
    if latest is None:
        raise Http404("这张自评表还没有提交过。")
    if Action.REVIEW in can:
        services.mark_opened(actor_of(request), filing, latest)
    previous = selectors.previous_version(latest, request.user, can)
    scored = selfeval.scored(filing, latest)
    typed = typed or {}
    sections = [
        (key, label, f"comment:{key}", typed.get(f"comment:{key}", ""))
        for key, label in SELFEVAL_SECTION_TITLES.items()
        if key in services.SELFEVAL_SECTIONS
    ]
    return render(
        request,
        "jixiao_web/selfeval_review.html",
        {
            "filing": filing,
            "version": latest,
            "previous": previous,
            "sheet": sheet(scored, monitored=_monitored(filing)),
            "editable": False,
            "reviewing": Action.REVIEW in can,
            "issues": latest.report.get("issues", []),
            "changes": _changes(previous, latest) if previous else None,
            "comments": selectors.shown_comments(filing, request.user, None, can),
            "sections": sections,
            "typed": typed,
            "can_review": Action.REVIEW in can,
            "can_publish": Action.PUBLISH in can,
            "steps": {
                command: SELFEVAL.by_command(command)[0] for command in ("return", "approve", "publish")
            },
            "publish_confirm": SELFEVAL.by_command("publish")[0].confirm.format(number=latest.number),
            "error": error,
            "confirm": confirm,
            "evidence": evidence_files.of_version(latest),
            "score_typed": score_typed or {},
            "unsent": [(name, text) for name, text in typed.items() if text.strip()]
            if Action.REVIEW not in can
            else [],
        },
        status=status,
    )


@login_required
@require_POST
def score_review(request: HttpRequest, pk: int) -> HttpResponse:
    """复核: the bureau's score for one row, with its written reason."""
    filing = selfeval_for(request, pk, Action.HISTORY)
    row_text = request.POST.get("row", "")
    row = int(row_text) if row_text.isdecimal() and len(row_text) <= 6 else 0
    try:
        selfeval.review_score(
            actor_of(request), filing, row, request.POST.get("score", ""), request.POST.get("reason", "")
        )
    except selfeval.SaveError as error:
        if not is_finance(request.user):
            raise Http404("没有这张自评表，或您无权查看。") from None
        typed = {name: request.POST.get(name, "") for name in ("row", "score", "reason")}
        return review_page(request, filing, error=str(error), score_typed=typed, status=400)
    messages.success(request, f"已复核第{row}个指标的得分。")
    return redirect(f"{reverse('review', args=[filing.pk])}#indicator-{row}")


# ---------------------------------------------------------------------------------------------
# The public page


def _published(year: int, code: str) -> Filing:
    filing = (
        Filing.objects.filter(
            kind=Kind.SELFEVAL, year=year, department__code=code, status__in=SELFEVAL.public
        )
        .select_related("department", "published_version")
        .first()
    )
    if filing is None or filing.published_version is None:
        raise Http404("没有公开的自评表。")
    return filing


def public(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """A published self-evaluation: the scores and grade, beside the year's target table, and its
    downloads."""
    filing = _published(year, code)
    scored = selfeval.scored(filing, filing.published_version)
    target = Filing.objects.filter(kind=Kind.TARGET, year=year, department=filing.department).first()
    return render(
        request,
        "jixiao_web/selfeval_public.html",
        {
            "filing": filing,
            "sheet": sheet(scored),
            "editable": False,
            "public_view": True,
            "target_public": target is not None and target.status in TARGET.public,
            "formats": exports.FORMATS,
        },
    )


def public_download(request: HttpRequest, year: int, code: str, fmt: str) -> HttpResponseBase:
    """The published self-evaluation as a file (the library's writers, with the reviewed scores)."""
    from jixiao_web.views.public import pending

    filing = _published(year, code)
    if fmt not in exports.FORMATS:
        raise Http404("没有这种下载格式。")
    assert filing.published_version is not None
    try:
        return exports.file_response(filing.published_version, fmt)
    except exports.NotReady:
        return pending(request, f"{exports.FORMATS[fmt][1]}下载文件")
