"""The self-evaluation form: a :class:`~jixiao.model.selfeval.SelfEvaluation` as the page's fields,
and a posted form read back.

The page mirrors the printed 自评表: the copied parts of the approved table are shown, never
posted (the stored ones are kept whatever comes, :func:`jixiao_web.selfeval.merged`); what the
department adds is one field each, named ``funds_<row>_<column>``, ``goal_actual``, ``task_<field>``
and ``ind_<field>`` (one per row, in table order), and the conclusions.  A number that cannot be
read is a finding and the form is not saved, as with the target table's form: an amount
``amount-invalid``, a 分值 ``selfeval-points-invalid``, an entered score
``selfeval-score-out-of-range`` (not adopted: the computed score counts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from django.http import QueryDict

from jixiao.findings import Finding, Location, finding
from jixiao.model.selfeval import SelfEvaluation, Tier
from jixiao.profile import Profile
from jixiao.read.cells import Unreadable, parse_amount
from jixiao.scoring import Scores, score
from jixiao_web import fixedform
from jixiao_web.fixedform import TASK_FIELDS, Parsed

#: The funds block's rows and the columns the department fills.
FUNDS_ROWS: Final = (("total", "年度资金总额"), ("fiscal", "其中：财政拨款"), ("other", "其他资金"))
FUNDS_COLUMNS: Final = (("annual_budget", "全年预算数"), ("executed", "全年执行数"))
#: 年初预算数 is typed only where the approved table does not show it (else it is copied).
INITIAL: Final = ("initial_budget", "年初预算数")
INDICATOR_FIELDS: Final = ("actual", "tier", "points", "entered_score", "score_reason", "deviation")
TEXTS: Final = ("goal_actual", "conclusion", "problems", "improvements")
TIERS: Final = tuple(tier.value for tier in Tier)


def form_values(evaluation: SelfEvaluation) -> dict[str, Any]:
    """The form's fields as text, from a stored self-evaluation."""
    funds = evaluation.funds
    return {
        "funds": fixedform.funds_values(funds, FUNDS_ROWS, (INITIAL, *FUNDS_COLUMNS)),
        "funds_reason": funds.reason,
        **{name: getattr(evaluation, name) for name in TEXTS},
        "tasks": [
            {name: fixedform.text(getattr(task, name)) for name in TASK_FIELDS} for task in evaluation.tasks
        ],
        "indicators": [
            {name: fixedform.text(getattr(result, name)) for name in INDICATOR_FIELDS}
            for result in evaluation.indicators
        ],
    }


def parse_form(post: QueryDict, stored: SelfEvaluation, profile: Profile) -> Parsed:
    """The self-evaluation a posted form describes (rows as many as the approved table has);
    ``profile``: the round's, which an unreadable entered score's message needs (its points and
    the score computed instead)."""
    raw: dict[str, Any] = {
        "funds": fixedform.posted_funds(post, FUNDS_ROWS, (INITIAL, *FUNDS_COLUMNS)),
        "funds_reason": post.get("funds_reason", "").strip(),
        **{name: post.get(name, "").strip() for name in TEXTS},
        "tasks": fixedform.rows(post, "task_", TASK_FIELDS, len(stored.tasks)),
        "indicators": fixedform.rows(post, "ind_", INDICATOR_FIELDS, len(stored.indicators)),
    }
    findings: list[Finding] = []
    unreadable: list[tuple[int, str, str]] = []
    funds = fixedform.parse_funds(raw, FUNDS_ROWS, (INITIAL, *FUNDS_COLUMNS), "年度资金", findings)
    tasks = fixedform.parse_tasks(raw["tasks"], stored.approved.tasks, "全年执行数", findings)
    indicators = []
    for number, row in enumerate(raw["indicators"], 1):
        result: dict[str, Any] = {
            "actual": row["actual"] or None,
            "tier": row["tier"] if row["tier"] in TIERS else None,
            "score_reason": row["score_reason"],
            "deviation": row["deviation"],
        }
        for name in ("points", "entered_score"):
            value = parse_amount(row[name].removesuffix("分"))
            if isinstance(value, Unreadable):
                unreadable.append((number, name, row[name]))
                value = None
            result[name] = value
        indicators.append(result)
    data = {
        "funds": funds,
        **{name: raw[name] for name in TEXTS},
        "tasks": tasks,
        "indicators": indicators,
    }
    if unreadable:
        findings.extend(_unreadable_scores(unreadable, stored, data, profile))
    return Parsed(raw, data, findings)


def _unreadable_scores(
    unreadable: list[tuple[int, str, str]], stored: SelfEvaluation, data: dict[str, Any], profile: Profile
) -> list[Finding]:
    """A 分值 or 自评得分 typed that is no number, as the library's codes for them say it."""
    try:
        rows = score(SelfEvaluation.model_validate({**data, "approved": stored.approved}), profile).rows
    except ValueError:  # the rest of the form does not make a self-evaluation either
        rows = score(stored, profile).rows
    findings = []
    for number, name, value in unreadable:
        row = rows[number - 1]
        if name == "points":
            detail = f"绩效指标第{number}行“{row.name}”的分值“{value}”不是数字"
            findings.append(
                finding(
                    "selfeval-points-invalid", Location("indicators", row=number, field=name), detail=detail
                )
            )
        else:
            findings.append(
                finding(
                    "selfeval-score-out-of-range",
                    Location("indicators", row=number, field=name),
                    row=number,
                    name=row.name,
                    score=f"“{value}”",
                    band=f"有效分数（0 至 {row.points} 分的数字）",
                    used=row.computed,
                )
            )
    return findings


def scores_json(scores: Scores, total: Decimal | None = None, grade: str | None = None) -> dict[str, Any]:
    """What the page shows live: each row's points, score and why, the execution score, the
    total and the grade (numbers as text, never floats)."""
    execution = scores.execution
    return {
        "execution": {
            "points": str(execution.points),
            "rate": str(execution.rate_percent) if execution.rate_percent is not None else "",
            "score": str(execution.score),
            "why": execution.why,
        },
        "rows": [
            {
                "row": row.row,
                "points": str(row.points),
                "computed": str(row.computed),
                "score": str(row.score),
                "why": row.why,
                "band": [str(row.band[0]), str(row.band[1])] if row.band else None,
            }
            for row in scores.rows
        ],
        "total": str(total if total is not None else scores.total),
        "grade": grade if grade is not None else scores.grade,
    }
