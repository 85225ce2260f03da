"""Monitoring rules: the ``monitor-*`` codes of ``shared/spec/CYCLE.md``.

They judge a :class:`jixiao.monitoring.MonitoredReport` (the report, its profile and its warnings,
computed once), never a target table.  An indicator's row is its 1-based position in the approved
table's indicators, the same row as the table's own findings; a funds finding's row is the funds
block's (1 年度资金总额, 2 基本支出, 3 项目支出, 4 财政拨款, 5 其他资金) and its field the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from jixiao.catalogue import MONITOR_PHRASES, PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import Comparator, Indicator
from jixiao.model.framework import normalise_comparator
from jixiao.model.monitoring import IndicatorProgress, MonitoringFunds
from jixiao.model.selfeval import initial_total
from jixiao.model.table import format_amount
from jixiao.model.values import compact
from jixiao.monitoring import Colour, MonitoredReport, RowWarning, month_valid
from jixiao.rules.registry import monitoring_rule

#: 原因说明 needs at least this many characters (white space not counted).
CAUSE_NOTE_MINIMUM: Final = 10
_FUNDS_ROWS: Final = ("total", "basic", "project", "fiscal", "other")
_FUNDS_COLUMNS: Final = ("initial_budget", "adjusted_budget", "executed", "forecast")
_ROW_TITLES: Final = {name: MonitoringFunds.model_fields[name].title or name for name in _FUNDS_ROWS}


def _at(row: int, field: str) -> Location:
    return Location("indicators", row=row, field=field)


def _funds_at(name: str, column: str) -> Location:
    return Location("funds", row=_FUNDS_ROWS.index(name) + 1, field=column)


def _rows(monitored: MonitoredReport) -> Iterator[tuple[RowWarning, Indicator, IndicatorProgress]]:
    report = monitored.report
    yield from zip(monitored.warnings.rows, report.approved.indicators, report.indicators, strict=True)


def _what(key: str, monitored: MonitoredReport) -> str:
    return MONITOR_PHRASES[f"what.{key}"].format(month=monitored.report.month)


def _target(row: RowWarning, indicator: Indicator, progress: IndicatorProgress) -> str:
    value = progress.adjusted_target if row.adjusted and progress.adjusted_target else indicator.value
    sign = "" if row.qualitative or indicator.comparator is None else row.target.comparator or ""
    return f"{sign}{value}{indicator.unit}"


def _chosen(text: str, choices: tuple[str, ...]) -> bool:
    return compact(text) in {compact(choice) for choice in choices}


# ---------------------------------------------------------------------------------------------
# The period and the rows copied


@monitoring_rule("monitor-month-invalid")
def month_invalid(monitored: MonitoredReport) -> Iterator[Finding]:
    """The month is 1–11 and the year the approved table's."""
    report = monitored.report
    if not month_valid(report.month):
        detail = MONITOR_PHRASES["month-range"].format(month=report.month)
        yield finding("monitor-month-invalid", Location("period", field="month"), detail=detail)
    table_year = report.approved.year
    if table_year is not None and report.year != table_year:
        key = "year-missing" if report.year is None else "year-other"
        detail = MONITOR_PHRASES[key].format(year=report.year, table_year=table_year)
        yield finding("monitor-month-invalid", Location("period", field="year"), detail=detail)


@monitoring_rule("monitor-indicators-changed")
def indicators_changed(monitored: MonitoredReport) -> Iterator[Finding]:
    """The rows are the approved version's (count, names, comparators, targets), where it is known;
    a target changes only as a recorded adjustment (调整后指标值 with its reason)."""
    copied = monitored.report.approved.indicators
    if monitored.approved is not None:
        approved = monitored.approved.indicators
        if len(copied) != len(approved):
            detail = MONITOR_PHRASES["rows-count"].format(count=len(copied), approved=len(approved))
            yield finding("monitor-indicators-changed", Location("indicators"), detail=detail)
        for row, (mine, theirs) in enumerate(zip(copied, approved, strict=False), 1):
            yield from _row_changed(row, mine, theirs)
    for warning, indicator, progress in _rows(monitored):
        if warning.adjustment_problem == "unexplained":
            detail = MONITOR_PHRASES["adjusted-unexplained"].format(
                row=warning.row, name=warning.name, initial=indicator.value, adjusted=progress.adjusted_target
            )
            yield finding("monitor-indicators-changed", _at(warning.row, "adjustment_reason"), detail=detail)


def _row_changed(row: int, mine: Indicator, theirs: Indicator) -> Iterator[Finding]:
    def comparator(indicator: Indicator) -> Comparator | str:
        written = indicator.comparator or ""
        return normalise_comparator(written) or compact(written)

    checks = (
        ("name", compact(mine.name) == compact(theirs.name), mine.name, theirs.name),
        (
            "comparator",
            comparator(mine) == comparator(theirs),
            mine.comparator or "",
            theirs.comparator or "",
        ),
        ("value", compact(mine.value) == compact(theirs.value), mine.value, theirs.value),
    )
    for field, same, value, approved in checks:
        if not same:
            detail = MONITOR_PHRASES["row-differs"].format(
                row=row, what=MONITOR_PHRASES[f"what.{field}"], value=value, approved=approved
            )
            yield finding("monitor-indicators-changed", _at(row, field), detail=detail)


# ---------------------------------------------------------------------------------------------
# Indicators: values and choices


@monitoring_rule("monitor-value-missing")
def value_missing(monitored: MonitoredReport) -> Iterator[Finding]:
    """Every row has its 1–m月完成值 (a 定性 row its tier; a 年底测评 row its reason instead), its
    全年预计完成值 and its 完成可能性.  A date target not completed yet is judged by its deadline."""
    for warning, _, progress in _rows(monitored):
        missing = []
        if progress.year_end:
            if not progress.year_end_reason.strip():
                missing.append("year_end_reason")
        elif warning.problem == "missing":
            missing.append("tier" if warning.qualitative else "to_date")
        if warning.forecast_problem == "missing":
            missing.append("forecast_tier" if warning.qualitative else "forecast")
        if progress.likelihood is None or not progress.likelihood.strip():
            missing.append("likelihood")
        for key in missing:
            field = "forecast" if key == "forecast_tier" else key
            yield finding(
                "monitor-value-missing",
                _at(warning.row, field),
                row=warning.row,
                name=warning.name,
                what=_what(key, monitored),
            )


@monitoring_rule("monitor-value-invalid")
def value_invalid(monitored: MonitoredReport) -> Iterator[Finding]:
    """1–m月完成值 and 全年预计完成值 are bare numbers (a completion date for a date target, a tier
    for a 定性 row): no comparator or unit glyph in them; an adjusted target is a value of the
    approved target's kind."""
    for warning, _, progress in _rows(monitored):
        checks = (
            ("to_date", "tier" if warning.qualitative else "to_date", progress.to_date, warning.problem),
            ("forecast", "forecast_tier" if warning.qualitative else "forecast", progress.forecast,
             warning.forecast_problem),
        )  # fmt: skip
        for field, what, value, problem in checks:
            if problem is None or problem == "missing" or (field == "to_date" and warning.year_end):
                continue
            yield finding(
                "monitor-value-invalid",
                _at(warning.row, field),
                row=warning.row,
                name=warning.name,
                what=_what(what, monitored),
                value=value or "",
                problem=MONITOR_PHRASES[f"problem.{problem}"],
            )
        if warning.adjustment_problem == "not-a-target":
            yield finding(
                "monitor-value-invalid",
                _at(warning.row, "adjusted_target"),
                row=warning.row,
                name=warning.name,
                what=_what("adjusted_target", monitored),
                value=progress.adjusted_target or "",
                problem=MONITOR_PHRASES["problem.not-a-target"],
            )


@monitoring_rule("monitor-choice-invalid")
def choice_invalid(monitored: MonitoredReport) -> Iterator[Finding]:
    """完成可能性 and each 偏差原因 are among the profile's choices."""
    profile = monitored.profile
    separator = PHRASES["list-separator"]
    for warning, _, progress in _rows(monitored):
        likelihood = progress.likelihood
        if likelihood is not None and likelihood.strip() and not _chosen(likelihood, profile.likelihood):
            yield finding(
                "monitor-choice-invalid",
                _at(warning.row, "likelihood"),
                row=warning.row,
                name=warning.name,
                what=_what("likelihood", monitored),
                value=likelihood,
                choices=separator.join(profile.likelihood),
            )
        for cause in progress.causes:
            if not _chosen(cause, profile.deviation_causes):
                yield finding(
                    "monitor-choice-invalid",
                    _at(warning.row, "causes"),
                    row=warning.row,
                    name=warning.name,
                    what=_what("causes", monitored),
                    value=cause,
                    choices=separator.join(profile.deviation_causes),
                )


# ---------------------------------------------------------------------------------------------
# Indicators: causes and measures


def _cause_needed(monitored: MonitoredReport, warning: RowWarning, progress: IndicatorProgress) -> str | None:
    """Why a row needs 偏差原因 and 纠偏措施, in words; None when it does not."""
    if warning.alert.needs_reason:
        return MONITOR_PHRASES["why.alert"].format(why=warning.alert.why)
    target, value = warning.target, warning.value.value
    lower = target.comparator in {Comparator.LE, Comparator.LT}
    if lower and target.value is not None and value is not None and warning.problem is None:
        over = value > target.value if target.comparator is Comparator.LE else value >= target.value
        if over:
            return MONITOR_PHRASES["why.over"].format(
                month=monitored.report.month,
                b=format_amount(value),
                sign=target.comparator.value if target.comparator else "",
                a=format_amount(target.value),
            )
    likelihood = progress.likelihood
    # 有可能, 完全不可能: any of the profile's choices but the first (an unknown one is
    # monitor-choice-invalid's)
    if likelihood is not None and _chosen(likelihood, monitored.profile.likelihood[1:]):
        return MONITOR_PHRASES["why.likelihood"].format(likelihood=likelihood)
    return None


@monitoring_rule("monitor-cause-missing")
def cause_missing(monitored: MonitoredReport) -> Iterator[Finding]:
    """A row that 有可能/完全不可能 reaches its target, is red or yellow, or (≤, <) is already over its
    target names 偏差原因 and 纠偏措施."""
    for warning, _, progress in _rows(monitored):
        why = _cause_needed(monitored, warning, progress)
        if why is None:
            continue
        no_causes, no_measures = not progress.causes, not progress.measures.strip()
        if not (no_causes or no_measures):
            continue
        key = "both" if no_causes and no_measures else "causes" if no_causes else "measures"
        yield finding(
            "monitor-cause-missing",
            _at(warning.row, "causes" if no_causes else "measures"),
            row=warning.row,
            name=warning.name,
            why=why,
            missing=MONITOR_PHRASES[f"missing.{key}"],
        )


@monitoring_rule("monitor-cause-note-missing")
def cause_note_missing(monitored: MonitoredReport) -> Iterator[Finding]:
    """A cause chosen (其他 included) is explained in 原因说明 of at least 10 characters."""
    for warning, _, progress in _rows(monitored):
        if progress.causes and len(compact(progress.cause_note)) < CAUSE_NOTE_MINIMUM:
            yield finding(
                "monitor-cause-note-missing",
                _at(warning.row, "cause_note"),
                row=warning.row,
                name=warning.name,
                causes=PHRASES["list-separator"].join(progress.causes),
                minimum=CAUSE_NOTE_MINIMUM,
            )


@monitoring_rule("monitor-likelihood-contradicts")
def likelihood_contradicts(monitored: MonitoredReport) -> Iterator[Finding]:
    """确定能 (the profile's first likelihood) while 全年预计完成值 misses the target."""
    certain = monitored.profile.likelihood[0]
    for warning, indicator, progress in _rows(monitored):
        said = progress.likelihood
        if said is None or compact(said) != compact(certain) or not warning.forecast_misses:
            continue
        yield finding(
            "monitor-likelihood-contradicts",
            _at(warning.row, "likelihood"),
            row=warning.row,
            name=warning.name,
            likelihood=said,
            forecast=progress.forecast or "",
            target=_target(warning, indicator, progress),
        )


@monitoring_rule("monitor-far-ahead")
def far_ahead(monitored: MonitoredReport) -> Iterator[Finding]:
    """A blue row (far ahead of the time's share): the target may have been set too low."""
    for warning, _, _ in _rows(monitored):
        if warning.alert.colour is Colour.BLUE:
            yield finding(
                "monitor-far-ahead", _at(warning.row, "to_date"), row=warning.row, name=warning.name,
                why=warning.alert.why,
            )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Funds


def _amount(value: Decimal | None) -> str:
    return PHRASES["blank"] if value is None else PHRASES["amount"].format(amount=format_amount(value))


@monitoring_rule("monitor-funds-mismatch")
def funds_mismatch(monitored: MonitoredReport) -> Iterator[Finding]:
    """年初预算数 is the approved table's (where it shows one); 基本支出 + 项目支出 and 财政拨款 +
    其他资金 each make 年度资金总额, in every column where all three are filled."""
    funds = monitored.report.funds
    budget = (monitored.approved or monitored.report.approved).budget
    approved = {
        "total": initial_total(budget),
        "basic": budget.basic_expenditure,
        "project": budget.project_expenditure,
        "fiscal": budget.fiscal_appropriation,
        "other": budget.other_funds,
    }
    for name in _FUNDS_ROWS:
        value: Decimal | None = getattr(funds, name).initial_budget
        if approved[name] is not None and value != approved[name]:
            detail = MONITOR_PHRASES["funds-initial"].format(
                row=_ROW_TITLES[name], value=_amount(value), approved=_amount(approved[name])
            )
            yield finding("monitor-funds-mismatch", _funds_at(name, "initial_budget"), detail=detail)
    month = monitored.report.month
    for column in _FUNDS_COLUMNS:
        for first, second in (("basic", "project"), ("fiscal", "other")):
            total, one, two = (getattr(getattr(funds, name), column) for name in ("total", first, second))
            if total is None or one is None or two is None or total == one + two:
                continue
            detail = MONITOR_PHRASES["funds-sum"].format(
                column=MONITOR_PHRASES[f"funds.{column}"].format(month=month),
                total=format_amount(total),
                first=_ROW_TITLES[first],
                first_value=format_amount(one),
                second=_ROW_TITLES[second],
                second_value=format_amount(two),
                difference=format_amount(total - one - two),
            )
            yield finding("monitor-funds-mismatch", _funds_at("total", column), detail=detail)


@monitoring_rule("monitor-funds-missing")
def funds_missing(monitored: MonitoredReport) -> Iterator[Finding]:
    """年度资金总额 has its 年初预算数, a positive 调整后预算数, and 1–m月执行数 and 全年预计执行数 not
    below 0: without them the budget warning cannot be computed."""
    total = monitored.report.funds.total
    checks = (
        ("initial_budget", total.initial_budget, False),
        ("adjusted_budget", total.adjusted_budget, True),
        ("executed", total.executed, False),
        ("forecast", total.forecast, False),
    )
    for column, value, positive in checks:
        if value is None:
            problem = MONITOR_PHRASES["funds.not-filled"]
        elif positive and value <= 0:
            problem = MONITOR_PHRASES["funds.not-positive"].format(value=format_amount(value))
        elif value < 0:
            problem = MONITOR_PHRASES["funds.negative"].format(value=format_amount(value))
        else:
            continue
        label = MONITOR_PHRASES[f"funds.{column}"].format(month=monitored.report.month)
        yield finding("monitor-funds-missing", _funds_at("total", column), label=label, problem=problem)


@monitoring_rule("monitor-budget-unexplained")
def budget_unexplained(monitored: MonitoredReport) -> Iterator[Finding]:
    """A red or yellow budget warning comes with its reason (预算执行偏差原因及纠偏措施)."""
    alert = monitored.warnings.budget.alert
    if alert.needs_reason and not monitored.report.funds.reason.strip():
        yield finding(
            "monitor-budget-unexplained", Location("funds", field="reason"), word=alert.word, why=alert.why
        )


@monitoring_rule("monitor-overspent")
def overspent(monitored: MonitoredReport) -> Iterator[Finding]:
    """No 1–m月执行数 above its 调整后预算数, and the tasks' 执行数 not above 项目支出's."""
    report = monitored.report
    month = report.month
    for name in _FUNDS_ROWS:
        row = getattr(report.funds, name)
        if (
            row.executed is not None
            and row.adjusted_budget is not None
            and row.executed > row.adjusted_budget
        ):
            detail = MONITOR_PHRASES["overspent-row"].format(
                row=_ROW_TITLES[name],
                month=month,
                executed=format_amount(row.executed),
                budget=format_amount(row.adjusted_budget),
            )
            yield finding("monitor-overspent", _funds_at(name, "executed"), detail=detail)
    project = report.funds.project.executed
    executed = [task.executed for task in report.tasks if task.executed is not None]
    tasks = sum(executed, Decimal(0))
    if project is not None and executed and tasks > project:
        detail = MONITOR_PHRASES["overspent-tasks"].format(
            month=month, tasks=format_amount(tasks), project=format_amount(project)
        )
        yield finding("monitor-overspent", Location("tasks", field="executed"), detail=detail)
