"""The year-end self-evaluation round (绩效自评, ``shared/spec/CYCLE.md``) in the web system.

A self-evaluation is a :class:`~jixiao_web.models.Filing` of kind ``selfeval``: its working copy and
versions hold the canonical JSON of :class:`jixiao.model.selfeval.SelfEvaluation`, and it goes
through the workflow table's ``SELFEVAL`` (:mod:`jixiao_web.workflow`) with the same generic
:func:`jixiao_web.services.transition` as a target table.  What is its own lives here:

- :func:`open_round`: the finance bureau opens a year (profile, deadline); every department whose
  target table of that year is approved gets a filing made from the APPROVED version (the version
  the bureau received and approved, never a working copy).  Opening again is idempotent: it makes
  only the filings still missing.  A table approved later gets its filing when it is approved
  (:func:`made_on_approval`, called by the transition).
- :func:`report_for`: what freezing a version checks (the library's ``check_selfeval`` with the
  round's profile) and what the form shows live (:func:`check`).
- :func:`save`: the department's working copy (the copied parts are the stored ones, whatever is
  posted).
- :func:`with_monitoring`: each row's 运行监控时的完成可能性 (``monitoring_likelihood``, which the
  library's ``selfeval-monitor-contradicts`` judges) copied from the department's last monitoring
  report of the year (:func:`jixiao_web.monitoring.last_monitoring`: the accepted version, else the
  latest submitted one).  It is taken when the self-evaluation is made from the approved table
  and refreshed on every save of the working copy (:func:`merged`: the form, its live check, a
  confirmed upload), that is while the department may edit it (draft or returned); a submitted
  version keeps what it was submitted with.  Like the approved table it is a copied part: what a
  post or an uploaded file says of it is never taken.
- :func:`review_score`: 复核, the bureau's score of a row with its written reason, kept beside the
  department's own; :func:`scored` gives totals and the grade with the reviewed scores.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jixiao.check import check_selfeval
from jixiao.findings import Report
from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation, Tier, initial_total
from jixiao.profile import DEFAULT, VARIANTS, Profile, ProfileError, profile_from_json
from jixiao.scoring import RowScore, Scores, in_band, rounded, score
from jixiao_web import audit, documents, monitoring, services
from jixiao_web.access import Action, allowed, is_finance
from jixiao_web.audit import Actor
from jixiao_web.models import (
    AuditAction,
    Filing,
    Kind,
    ScoreReview,
    SelfEvalRound,
    Version,
)
from jixiao_web.workflow import SELFEVAL, TARGET

#: 复核理由 shorter than this is refused: the department must understand why.
REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 2000


class RoundError(Exception):
    """The round cannot be opened as asked; the message says why, in Chinese."""


def profile_named(variant: str, text: str = "", noun: str = "评分设定") -> Profile:
    """The profile a round is opened with: JSON ``text`` when given, else the named variant;
    ``noun`` is what the round's page calls it (a monitoring round: 监控设定)."""
    if text.strip():
        try:
            return profile_from_json(text, noun)
        except ProfileError as error:
            raise RoundError(str(error)) from None
    found = VARIANTS.get(variant or DEFAULT.name)
    if found is None:
        raise RoundError(f"没有名为“{variant}”的{noun}，可选：{'、'.join(VARIANTS)}。")
    return found


def profile_of(year: int) -> Profile:
    """The profile ``year``'s round scores by (the default before the round is opened)."""
    stored = SelfEvalRound.objects.filter(year=year).values_list("profile", flat=True).first()
    return Profile.model_validate(stored) if stored is not None else DEFAULT


def evaluation_of(data: dict[str, Any]) -> SelfEvaluation:
    return SelfEvaluation.model_validate(data)


def report_for(filing: Filing, data: dict[str, Any] | None = None) -> Report:
    """The library's findings for a self-evaluation (its working copy, or ``data``), judged by its
    round's profile."""
    evaluation = evaluation_of(filing.data if data is None else data)
    return check_selfeval(evaluation, profile_of(filing.year))


# ---------------------------------------------------------------------------------------------
# Opening the round


@dataclass(frozen=True, slots=True)
class Opened:
    round: SelfEvalRound
    made: list[Filing]


def open_round(actor: Actor, year: int, profile: Profile, deadline: datetime) -> Opened:
    """Open (or open again) ``year``'s self-evaluation: store its profile and deadline, and make a
    self-evaluation for every department whose target table of ``year`` is approved and has none."""
    user = actor.user
    if user is None or not is_finance(user):
        raise RoundError("只有财政局可以开启绩效自评。")
    stored_profile = profile.model_dump(mode="json")
    with transaction.atomic():
        current = SelfEvalRound.objects.select_for_update().filter(year=year).first()
        before: dict[str, Any] | None = None
        if current is None:
            current = SelfEvalRound.objects.create(
                year=year, profile=stored_profile, deadline=deadline, opened_by=user
            )
        else:
            before = _round_state(current)
            received = Filing.objects.filter(kind=Kind.SELFEVAL, year=year, received_version__isnull=False)
            if current.profile != stored_profile and received.exists():
                # Scores already submitted were made by this profile; changing it would rescore
                # them, published ones included, behind the departments' backs.
                raise RoundError(f"{year}年度已有部门提交了自评表，评分设定不能再改（仍可修改截止时间）。")
            current.profile, current.deadline = stored_profile, deadline
            current.save(update_fields=["profile", "deadline"])
        made = _make_missing(actor, year)
        after = {**_round_state(current), "新生成自评表": [str(f.department) for f in made]}
        audit.record(actor, AuditAction.SELFEVAL_OPEN, target=str(current), before=before, after=after)
    return Opened(current, made)


def _round_state(round_: SelfEvalRound) -> dict[str, Any]:
    return {
        "评分设定": str(round_.profile.get("name", "")),
        "评分设定哈希": audit.content_digest(round_.profile),
        "截止时间": timezone.localtime(round_.deadline).strftime("%Y-%m-%d %H:%M"),
    }


def _make_missing(actor: Actor, year: int) -> list[Filing]:
    have = set(Filing.objects.filter(kind=Kind.SELFEVAL, year=year).values_list("department_id", flat=True))
    made = []
    for target in (
        Filing.objects.filter(kind=Kind.TARGET, year=year, status__in=TARGET.approved)
        .exclude(department_id__in=have)
        .select_related("department", "received_version")
        .order_by("department__code")
    ):
        made.append(_make_from(actor, target))
    return made


def made_on_approval(actor: Actor, target: Filing) -> Filing | None:
    """A target table just approved: its self-evaluation, if its year's round is open and it has
    none yet (called inside the approving transaction)."""
    if target.kind != Kind.TARGET or not SelfEvalRound.objects.filter(year=target.year).exists():
        return None
    if Filing.objects.filter(
        kind=Kind.SELFEVAL, year=target.year, department_id=target.department_id
    ).exists():
        return None
    return _make_from(actor, target)


def _make_from(actor: Actor, target: Filing) -> Filing:
    """A new self-evaluation of ``target``'s approved version (the one the bureau received and
    approved: never a working copy)."""
    version = target.received_version
    assert version is not None
    assert target.status in TARGET.approved
    evaluation = with_monitoring(
        SelfEvaluation.from_table(TargetTable.model_validate(version.data)), target.department_id, target.year
    )
    data = evaluation.model_dump(mode="json")
    profile = profile_of(target.year)
    errors, warnings = documents.counts(check_selfeval(evaluation, profile))
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                department=target.department,
                year=target.year,
                kind=Kind.SELFEVAL,
                data=data,
                errors=errors,
                warnings=warnings,
                updated_by=actor.user,
            )
            audit.record(
                actor,
                AuditAction.SELFEVAL_START,
                filing=filing,
                after={
                    **audit.filing_state(filing),
                    "目标表版本": version.number,
                    audit.DIGEST_KEY: audit.content_digest(data),
                },
            )
    except IntegrityError:  # made meanwhile by another request
        return Filing.objects.get(kind=Kind.SELFEVAL, year=target.year, department_id=target.department_id)
    return filing


# ---------------------------------------------------------------------------------------------
# The department's working copy


class SaveError(Exception):
    """The working copy cannot be saved as posted; the message says why, in Chinese."""


class SaveConflict(SaveError):
    """Someone saved since the form was loaded."""


def approved_initial(evaluation: SelfEvaluation) -> dict[str, Decimal | None]:
    """年初预算数 as the approved table shows it, per funds row (None: it does not show one, and
    the department fills it in)."""
    budget = evaluation.approved.budget
    return {
        "total": initial_total(budget),
        "fiscal": budget.fiscal_appropriation,
        "other": budget.other_funds,
    }


def merged(filing: Filing, posted: dict[str, Any]) -> SelfEvaluation:
    """The self-evaluation as posted, its copied parts (the approved table, and 年初预算数 where
    the approved table shows it) taken from the stored working copy whatever the post says."""
    stored = evaluation_of(filing.data)
    copied = approved_initial(stored)
    data = {**posted, "approved": stored.approved.model_dump(mode="json")}
    posted_funds = data.get("funds")
    funds: dict[str, Any] = dict(posted_funds) if isinstance(posted_funds, dict) else {}
    for name in ("total", "fiscal", "other"):
        posted_row = funds.get(name)
        row: dict[str, Any] = dict(posted_row) if isinstance(posted_row, dict) else {}
        if copied[name] is not None or "initial_budget" not in row:
            row["initial_budget"] = (
                copied[name] if copied[name] is not None else getattr(stored.funds, name).initial_budget
            )
        funds[name] = row
    data["funds"] = funds
    for key in ("printed_total", "printed_grade"):
        data.pop(key, None)
    return with_monitoring(SelfEvaluation.model_validate(data), filing.department_id, filing.year)


def with_monitoring(evaluation: SelfEvaluation, department_id: int, year: int) -> SelfEvaluation:
    """``evaluation`` with each row's ``monitoring_likelihood`` taken from the department's last
    monitoring report of ``year`` (None where there is none, or it said nothing of the row)."""
    last = monitoring.last_monitoring(department_id, year)
    likelihoods = []
    for indicator in evaluation.approved.indicators:
        said = last.of(indicator.level1, indicator.level2, indicator.name) if last is not None else None
        likelihoods.append(said.likelihood or None if said is not None else None)
    if [row.monitoring_likelihood for row in evaluation.indicators] == likelihoods:
        return evaluation
    return evaluation.model_copy(
        update={
            "indicators": [
                row.model_copy(update={"monitoring_likelihood": said})
                for row, said in zip(evaluation.indicators, likelihoods, strict=True)
            ]
        }
    )


LABELS = {
    "funds": "年度资金",
    "total": "年度资金总额",
    "fiscal": "财政拨款",
    "other": "其他资金",
    "annual_budget": "全年预算数",
    "executed": "全年执行数",
    "reason": "说明",
    "goal_actual": "实际完成情况",
    "tasks": "任务",
    "progress": "完成情况",
    "indicators": "指标",
    "actual": "实际完成值",
    "tier": "完成等级",
    "points": "分值",
    "entered_score": "自评得分",
    "score_reason": "得分理由",
    "deviation": "偏差原因分析及改进措施",
    "monitoring_likelihood": "运行监控时的完成可能性",
    "conclusion": "自评结论",
    "problems": "存在问题",
    "improvements": "改进措施",
}


def save(actor: Actor, filing: Filing, evaluation: SelfEvaluation, revision: int) -> tuple[Filing, Report]:
    """Store ``evaluation`` as the working copy, if nobody saved since ``revision``; findings
    never block saving."""
    data = evaluation.model_dump(mode="json")
    with transaction.atomic():
        current = Filing.objects.select_for_update().select_related("department").get(pk=filing.pk)
        if current.kind != Kind.SELFEVAL:
            raise SaveError("这不是自评表。")
        if actor.user is None or not allowed(actor.user, Action.EDIT, current):
            raise SaveError(f"您不能修改“{current}”（当前状态：{current.get_status_display()}）。")
        if evaluation.approved.model_dump(mode="json") != current.data.get("approved"):
            raise SaveError("自评表中取自批复目标表的部分不能修改。")
        if current.revision != revision:
            who = current.updated_by or "他人"
            raise SaveConflict(
                f"保存冲突：{who}已保存了这张自评表（第{current.revision}次修订），您编辑的是第{revision}次修订。"
                "本次没有保存，请重新打开后再修改。"
            )
        report = report_for(current, data)
        return documents.store(actor, current, data, report, LABELS), report


# ---------------------------------------------------------------------------------------------
# 复核: the bureau's scores, and the totals that use them


@dataclass(frozen=True, slots=True)
class Scored:
    """A version's scores: the department's (``scores``), the bureau's reviewed ones per row,
    and the total and grade that count (with the reviewed scores)."""

    evaluation: SelfEvaluation
    profile: Profile
    scores: Scores
    reviewed: dict[int, ScoreReview]
    total: Decimal
    grade: str

    def row_score(self, row: RowScore) -> Decimal:
        review = self.reviewed.get(row.row)
        return review.score if review is not None else row.score


def reviews_of(version: Version | None) -> dict[int, ScoreReview]:
    """The latest reviewed score per indicator row of ``version`` (latest as stored: by primary key,
    in the order the reviews were made; ``audit.verify`` checks it is the chain's last one too)."""
    if version is None:
        return {}
    reviews = ScoreReview.objects.filter(version=version).select_related("author").order_by("pk")
    return {r.row: r for r in reviews}


def scored(filing: Filing, version: Version | None = None, data: dict[str, Any] | None = None) -> Scored:
    """The scores of ``version`` (else ``data``, else the working copy) with its reviewed scores."""
    evaluation = evaluation_of(data if data is not None else version.data if version else filing.data)
    profile = profile_of(filing.year)
    scores = score(evaluation, profile)
    reviewed = reviews_of(version)
    total = scores.execution.score + sum(
        (reviewed[row.row].score if row.row in reviewed else row.score for row in scores.rows), Decimal(0)
    )
    return Scored(evaluation, profile, scores, reviewed, total, profile.grade(total))


#: A version's self-evaluation and its department's scores, by (version id, when it was made, digest
#: of the profile): versions are immutable, so the overview scores each once per server process;
#: the bureau's reviewed scores (which do change) are applied on top each time.
_SCORES: OrderedDict[tuple[int, datetime, str], tuple[SelfEvaluation, Scores]] = OrderedDict()
_SCORES_LOCK = threading.Lock()
#: About 50 KiB an entry (150 departments' self-evaluations: 7.4 MiB measured).
SCORES_CACHE_SIZE = 1000


def forget_scores() -> None:
    """Empty the cache of computed scores (tests, benchmarks)."""
    with _SCORES_LOCK:
        _SCORES.clear()


def scored_versions(versions: list[tuple[int, datetime]], profile: Profile) -> dict[int, Scored]:
    """Each version's (id, created_at) scores with its reviewed ones, by version id: what
    :func:`scored` gives each, in a fixed number of queries (the versions not scored before, and
    every reviewed score), whatever their number."""
    key = audit.content_digest(profile.model_dump(mode="json"))
    computed: dict[int, tuple[SelfEvaluation, Scores]] = {}
    with _SCORES_LOCK:
        for pk, made in versions:
            cached = _SCORES.get((pk, made, key))
            if cached is not None:
                _SCORES.move_to_end((pk, made, key))
                computed[pk] = cached
    missing = {pk: made for pk, made in versions if pk not in computed}
    if missing:
        for pk, data in Version.objects.filter(pk__in=missing).values_list("pk", "data"):
            evaluation = evaluation_of(data)
            computed[pk] = (evaluation, score(evaluation, profile))
        with _SCORES_LOCK:
            for pk, made in missing.items():
                if pk in computed:
                    _SCORES[(pk, made, key)] = computed[pk]
            while len(_SCORES) > SCORES_CACHE_SIZE:
                _SCORES.popitem(last=False)
    reviews: dict[int, dict[int, ScoreReview]] = {}
    for review in (
        ScoreReview.objects.filter(version_id__in=[pk for pk, _ in versions])
        .select_related("author")
        .order_by("pk")
    ):
        reviews.setdefault(review.version_id, {})[review.row] = review
    out = {}
    for pk, (evaluation, scores) in computed.items():
        reviewed = reviews.get(pk, {})
        total = scores.execution.score + sum(
            (reviewed[row.row].score if row.row in reviewed else row.score for row in scores.rows), Decimal(0)
        )
        out[pk] = Scored(evaluation, profile, scores, reviewed, total, profile.grade(total))
    return out


def scored_as_shown(filing: Filing, version: Version | None, data: dict[str, Any]) -> Scored:
    """The scores of what a person is shown (``selectors.shown_table``): a version with its own
    reviewed scores, or the department's working copy with those of the last version the bureau
    received — the department sees the bureau's 复核 wherever it looks (page and API alike)."""
    if version is not None:
        return scored(filing, version)
    return scored(filing, filing.received_version, data=data)


def as_reviewed(
    evaluation: SelfEvaluation, reviewed: dict[int, ScoreReview], profile: Profile
) -> SelfEvaluation:
    """``evaluation`` as the finance bureau reviewed it, for the published files: each reviewed
    row's score entered with the bureau's reason (a 定性 row's tier the one whose band holds the
    reviewed score), so that the library's writers and ``score`` give the reviewed total."""
    if not reviewed:
        return evaluation
    data = evaluation.model_dump(mode="json")
    rows = score(evaluation, profile).rows
    for row, review in reviewed.items():
        result = data["indicators"][row - 1]
        indicator = evaluation.approved.indicators[row - 1]
        result["entered_score"] = str(review.score)
        result["score_reason"] = (
            f"财政局复核：{review.reason}（部门自评：{result.get('score_reason') or '按公式计算'}）"
        )
        if indicator.comparator == "定性":
            points = rows[row - 1].points
            result["tier"] = next(
                (tier.value for tier in Tier if in_band(review.score, tier, points)), result.get("tier")
            )
    return SelfEvaluation.model_validate(data)


def review_score(actor: Actor, filing: Filing, row: int, value: str, reason: str) -> ScoreReview:
    """The finance bureau's score for indicator ``row`` of the version under review, with its
    written reason (复核); the department's own score stays beside it."""
    reason = reason.strip()
    with transaction.atomic():
        current = Filing.objects.select_for_update().select_related("department").get(pk=filing.pk)
        if (
            current.kind != Kind.SELFEVAL
            or actor.user is None
            or not allowed(actor.user, Action.REVIEW, current)
        ):
            raise SaveError(f"您不能复核“{current}”的得分（当前状态：{current.get_status_display()}）。")
        version = current.received_version
        assert version is not None
        rows = scored(current, version).scores.rows
        if not 1 <= row <= len(rows):
            raise SaveError(f"第{row}个指标不存在。")
        target = rows[row - 1]
        try:
            parsed = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            raise SaveError(f"复核得分“{value}”不是数字。") from None
        if not parsed.is_finite():
            raise SaveError(f"复核得分“{value}”不是数字。")
        number = rounded(parsed) + 0  # + 0: "-0" is stored and recorded as 0.00 alike
        if not Decimal(0) <= number <= target.points:
            raise SaveError(f"复核得分须在 0 到该指标分值 {target.points} 分之间。")
        if len(reason) < REASON_MIN_LENGTH:
            raise SaveError(f"请写明复核理由（至少{REASON_MIN_LENGTH}个字），部门将看到它。")
        if len(reason) > REASON_MAX_LENGTH:
            raise SaveError(f"复核理由超过 {REASON_MAX_LENGTH} 字。")
        # A review is a reading: from now on the department cannot withdraw this version, even
        # when the score was posted without the review page having been opened first.
        services.mark_opened(actor, current, version)
        review = ScoreReview.objects.create(
            filing=current, version=version, row=row, score=number, reason=reason, author=actor.user
        )
        audit.record(
            actor,
            AuditAction.SCORE_REVIEW,
            filing=current,
            after=review_line(review, target),
        )
    return review


def review_line(review: ScoreReview, row: RowScore) -> dict[str, Any]:
    """What the audit entry of a reviewed score records (and the chain's check compares)."""
    return {
        audit.VERSION_KEY: review.version.number,
        "指标行": review.row,
        "指标": row.name,
        "部门自评得分": str(row.score),
        "复核得分": str(review.score),
        "复核理由": review.reason,
    }


def published_scores(year: int) -> list[dict[str, Any]]:
    """The published self-evaluations of ``year`` as lines of the open data's scores CSV."""
    lines = []
    for filing in (
        Filing.objects.filter(kind=Kind.SELFEVAL, year=year, status__in=SELFEVAL.public)
        .select_related("department", "published_version")
        .order_by("department__code")
    ):
        if filing.published_version is None:
            continue
        result = scored(filing, filing.published_version)
        execution = result.scores.execution
        lines.append(
            {
                "year": year,
                "department": filing.department.name,
                "execution_rate": execution.rate_percent if execution.rate_percent is not None else "",
                "execution_score": execution.score,
                "indicator_score": result.total - execution.score,
                "total": result.total,
                "grade": result.grade,
                "reviewed_rows": len(result.reviewed),
                "department_total": result.scores.total,
            }
        )
    return lines


def published_of(target: Filing) -> Scored | None:
    """The published self-evaluation of a target table's department and year, scored (for the
    public page beside the target table); None when there is none."""
    filing = (
        Filing.objects.filter(
            kind=Kind.SELFEVAL,
            year=target.year,
            department_id=target.department_id,
            status__in=SELFEVAL.public,
        )
        .select_related("published_version")
        .first()
    )
    if filing is None or filing.published_version is None:
        return None
    return scored(filing, filing.published_version)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["SELFEVAL", "RoundError", "open_round", "review_score", "save", "scored"]
