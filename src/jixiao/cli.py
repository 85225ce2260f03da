"""The ``jixiao`` command line (``shared/spec/README.md``, "Command line").

Thin: it calls the library and formats what comes back.  Exit codes: ``parse``/``convert`` 0 read,
2 unreadable; ``check`` 0 all valid, 1 some table has an error, 2 some file unreadable.
"""

from __future__ import annotations

import gc
import json
import os
import sys

# The command line uses no pydantic plug-ins; not looking for them saves a scan of every installed
# package's entry points at each start.  (A program importing the library is not affected.)
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from pydantic import BaseModel
from typer import Abort

# Typer carries its own copy of click; its usage errors live there (typer is pinned in constraints.txt).
from typer._click.exceptions import (
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)

from jixiao.batch import check_files, check_lines, is_fatal
from jixiao.check import MONITORING_KIND, SELFEVAL_KIND, check_monitoring, check_selfeval, check_table
from jixiao.findings import ReadError, Report, Severity
from jixiao.layouts import LAYOUTS
from jixiao.model import TargetTable, format_amount
from jixiao.profile import DEFAULT, Profile, ProfileError, load_profile
from jixiao.read import EXTENSIONS, ReadResult
from jixiao.read.document import read_document_path

if TYPE_CHECKING:
    from rich.console import Console

    from jixiao.model.monitoring import MonitoringReport
    from jixiao.model.selfeval import SelfEvaluation
    from jixiao.monitoring import Alert, Warnings
    from jixiao.read.document import DocumentResult
    from jixiao.scoring import Scores

app = typer.Typer(
    name="jixiao",
    help="部门整体预算绩效目标表：读取、校验、转换。",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Batches at least this long show a progress bar (on a terminal).
PROGRESS_THRESHOLD = 20

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(message + "\n")
    return typer.Exit(2)


def walk(paths: list[Path]) -> Iterator[Path]:
    """The files named, and the table files inside the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and child.suffix.lower() in EXTENSIONS:
                    yield child
        else:
            yield path


@app.command()
def parse(file: Annotated[Path, typer.Argument(help="表格文件")]) -> None:
    """读取一个文件（目标表、绩效自评表或绩效运行监控表），输出其规范 JSON。"""
    try:
        result = read_document_path(file)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    for note in result.findings:
        sys.stderr.write(f"{note.severity.label}：{note.message}\n")
    sys.stdout.write(_document(result).to_json() + "\n")


def _document(result: DocumentResult) -> TargetTable | SelfEvaluation | MonitoringReport:
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult

    if isinstance(result, SelfevalReadResult):
        return result.evaluation
    if isinstance(result, MonitoringReadResult):
        return result.report
    return result.table


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="文件或文件夹（文件夹会逐层查找）")],
    as_json: Annotated[bool, typer.Option("--json", help="每个文件输出一行 JSON 报告")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="并行进程数（默认：全部 CPU 核心）")
    ] = None,
    profile_file: Annotated[
        Path | None, typer.Option("--profile", help="绩效自评表按此设定文件（JSON）校验（默认：默认设定）")
    ] = None,
) -> None:
    """读取并校验文件（目标表或绩效自评表，按内容识别），报告问题。"""
    profile = _profile(profile_file)
    files = list(walk(paths))
    if not files:
        raise _fail("没有找到可校验的文件。")
    totals = {"files": 0, "valid": 0, "invalid": 0, "unreadable": 0}
    counts = dict.fromkeys(Severity, 0)
    console: Console | None = None
    if not as_json:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
    with _progress(len(files)) as advance:
        if console is None:
            for line in check_lines(files, jobs, profile):
                totals["files"] += 1
                totals["unreadable" if line.fatal else "valid" if line.valid else "invalid"] += 1
                sys.stdout.write(line.json + "\n")
                advance()
        else:
            for report in check_files(files, jobs, profile):
                totals["files"] += 1
                fatal = is_fatal(report)
                totals["unreadable" if fatal else "valid" if report.valid else "invalid"] += 1
                for severity in Severity:
                    counts[severity] += report.count(severity)
                _print_report(console, report, fatal)
                advance()
    if console is not None:
        console.print(
            f"\n共 {totals['files']} 个文件：通过 {totals['valid']}，不通过 {totals['invalid']}，"
            f"无法读取 {totals['unreadable']}；错误 {counts[Severity.ERROR]} 条，"
            f"警告 {counts[Severity.WARNING]} 条，提示 {counts[Severity.INFO]} 条。",
            style="bold",
        )
    raise typer.Exit(2 if totals["unreadable"] else 1 if totals["invalid"] else 0)


def _print_report(console: Console, report: Report, fatal: bool) -> None:
    from rich.markup import escape

    if fatal:
        status, style = "无法读取", "bold red"
    elif report.valid:
        status, style = "通过", "bold green"
    else:
        status, style = "不通过", "bold red"
    summary = "，".join(
        f"{severity.label} {report.count(severity)}" for severity in Severity if report.count(severity)
    )
    layout = LAYOUTS.get(report.layout or "")
    read_as = f" [dim]按{layout.place}的表式读取[/]" if layout is not None else ""
    if report.kind == SELFEVAL_KIND:
        read_as = " [dim]绩效自评表[/]"
    elif report.kind == MONITORING_KIND:
        read_as = " [dim]绩效运行监控表[/]"
    console.print(
        f"[{style}]{status}[/] {escape(report.source)}" + (f"（{summary}）" if summary else "") + read_as
    )
    for item in report.findings:
        console.print(
            f"  [{_STYLE[item.severity]}]{item.severity.label}[/] {escape(item.message)} [dim]{item.code}[/]"
        )


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on standard error for long batches on a terminal; otherwise nothing."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    # Reports print above the bar when both go to the terminal; sent elsewhere, they must stay there.
    same_terminal = sys.stdout.isatty()
    with Progress(
        console=Console(stderr=True), transient=True, redirect_stdout=same_terminal, redirect_stderr=False
    ) as bar:
        task = bar.add_task("校验中", total=total)
        yield lambda: bar.advance(task)


@app.command()
def convert(
    file: Annotated[Path, typer.Argument(help="表格文件")],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件；格式由扩展名决定")],
) -> None:
    """把表格（目标表、绩效自评表或绩效运行监控表）转换为另一种格式（.xlsx .html .pdf .docx .txt .json）。"""
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult
    from jixiao.write import UnsupportedOutput, write_bytes

    try:
        result = read_document_path(file)
        if isinstance(result, SelfevalReadResult):
            from jixiao.write.selfeval import write_selfeval_bytes

            report = check_selfeval(result.evaluation, DEFAULT, str(file), result.findings)
            data = write_selfeval_bytes(result.evaluation, output.suffix, DEFAULT, report)
        elif isinstance(result, MonitoringReadResult):
            from jixiao.write.monitoring import write_monitoring_bytes

            report = check_monitoring(result.report, DEFAULT, str(file), result.findings)
            data = write_monitoring_bytes(result.report, output.suffix, DEFAULT, report)
        else:
            report = check_table(result.table, str(file), result.findings)
            data = write_bytes(result.table, output.suffix, report)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    except UnsupportedOutput as error:
        raise _fail(str(error)) from None
    try:
        output.write_bytes(data)
    except OSError as error:
        raise _fail(f"无法写入 {output}：{error.strerror}") from None


class SchemaKind(StrEnum):
    """The documents whose canonical JSON ``jixiao schema`` describes."""

    TABLE = "table"
    SELFEVAL = "selfeval"
    MONITORING = "monitoring"


@app.command()
def schema(
    kind: Annotated[
        SchemaKind,
        typer.Option(
            "--kind", help="table：目标表（默认）；selfeval：绩效自评表；monitoring：绩效运行监控表"
        ),
    ] = SchemaKind.TABLE,
) -> None:
    """输出规范 JSON 的 JSON Schema（默认为目标表的）。"""
    from jixiao.model.monitoring import MonitoringReport
    from jixiao.model.selfeval import SelfEvaluation

    models: dict[SchemaKind, type[BaseModel]] = {
        SchemaKind.TABLE: TargetTable,
        SchemaKind.SELFEVAL: SelfEvaluation,
        SchemaKind.MONITORING: MonitoringReport,
    }
    model = models[kind]
    document = model.model_json_schema(mode="serialization")
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _profile(path: Path | None) -> Profile:
    """The profile in ``path`` (CYCLE.md's settings), or the default; a broken file exits 2."""
    if path is None:
        return DEFAULT
    try:
        return load_profile(path)
    except ProfileError as error:
        raise _fail(str(error)) from None


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as error:
        raise _fail(f"无法写入 {output}：{error.strerror}") from None


#: The approved target table a form is made from (``selfeval new``, ``monitor new``).
ApprovedTableFile = Annotated[Path, typer.Argument(metavar="TABLE", help="批复的目标表（任何可读格式）")]


def _kind_name(result: DocumentResult) -> str:
    """What a document is called: 绩效自评表, 绩效运行监控表 or 部门整体预算绩效目标表."""
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult

    if isinstance(result, SelfevalReadResult):
        return "绩效自评表"
    return "绩效运行监控表" if isinstance(result, MonitoringReadResult) else "部门整体预算绩效目标表"


def _read_table(table_file: Path, profile: Profile) -> TargetTable:
    """The approved target table in ``table_file``; anything else exits 2 with why."""
    try:
        result = read_document_path(table_file, profile)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    if not isinstance(result, ReadResult):
        raise _fail(f"{table_file}：已经是{_kind_name(result)}；请给出批复的部门整体预算绩效目标表。")
    return result.table


selfeval_app = typer.Typer(
    name="selfeval", help="绩效自评：由批复的目标表生成自评工作簿。", no_args_is_help=True
)
app.add_typer(selfeval_app)


@selfeval_app.command("new")
def selfeval_new(
    table_file: ApprovedTableFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="要生成的自评工作簿（.xlsx）")],
    profile_file: Annotated[
        Path | None, typer.Option("--profile", help="设定文件（JSON），决定各指标的默认分值")
    ] = None,
) -> None:
    """由批复的目标表生成部门填写的绩效自评工作簿：复制的部分锁定，待填写的单元格标为浅黄色。"""
    from jixiao.model.selfeval import SelfEvaluation
    from jixiao.write.selfeval import blank_workbook

    profile = _profile(profile_file)

    _new_workbook(
        table_file,
        output,
        profile,
        "自评工作簿",
        lambda table: blank_workbook(SelfEvaluation.from_table(table), profile),
    )


def _new_workbook(
    table_file: Path,
    output: Path,
    profile: Profile,
    what: str,
    make: Callable[[TargetTable], bytes],
    period: str = "",
) -> None:
    """``selfeval new`` and ``monitor new``: the workbook ``make`` gives for the approved table in
    ``table_file``, written to ``output`` (an .xlsx), and what is to be filled."""
    if output.suffix.lower() != ".xlsx":
        raise _fail(f"{what}只能是 .xlsx 文件，而不是“{output.suffix or '无扩展名'}”。")
    table = _read_table(table_file, profile)
    _write(output, make(table))
    sys.stdout.write(
        f"已生成 {output}：{period}{len(table.tasks)} 个任务、{len(table.indicators)} 个指标待填写"
        "（浅黄色单元格；填写说明见第二个工作表）。\n"
    )


@app.command("score")
def score_command(
    paths: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="绩效自评表（任何可读格式），或含自评表的文件夹")
    ],
    profile_file: Annotated[Path | None, typer.Option("--profile", help="设定文件（JSON）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="每个文件输出一行 JSON")] = False,
) -> None:
    """按设定计算绩效自评表每个指标的得分、预算执行率得分、总分和等级（可给多个文件或文件夹）。"""
    profile = _profile(profile_file)
    files = list(walk(paths))
    if not files:
        raise _fail("没有找到可计分的文件。")
    failed = invalid = 0
    for file in files:
        try:
            valid = _score_one(file, profile, as_json)
        except typer.Exit:  # this file cannot be scored: told on standard error, the rest go on
            failed += 1
            continue
        invalid += not valid
    raise typer.Exit(2 if failed else 1 if invalid else 0)


def _score_one(file: Path, profile: Profile, as_json: bool) -> bool:
    """Score one file and print it; False when it has errors.  Not a self-evaluation: exit 2."""
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult
    from jixiao.scoring import score

    try:
        result = read_document_path(file, profile)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    if isinstance(result, MonitoringReadResult):
        raise _fail(f"{file}：这是绩效运行监控表，不是绩效自评表；请用 jixiao warnings {file} 查看预警。")
    if not isinstance(result, SelfevalReadResult):
        raise _fail(
            f"{file}：这是部门整体预算绩效目标表，不是绩效自评表；"
            f"请先用 jixiao selfeval new {file} -o 自评表.xlsx 生成自评工作簿，填写后再计分。"
        )
    evaluation = result.evaluation
    scores = score(evaluation, profile)
    report = check_selfeval(evaluation, profile, str(file), result.findings)
    if as_json:
        sys.stdout.write(
            json.dumps(scores_json(evaluation, scores, report, profile), ensure_ascii=False) + "\n"
        )
    else:
        _print_scores(evaluation, scores, report, profile)
    return report.valid


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format_amount(value)


def scores_json(
    evaluation: SelfEvaluation, scores: Scores, report: Report, profile: Profile
) -> dict[str, Any]:
    """``jixiao score --json``: every row's target, actual, points, score and why, the execution
    score, the total and grade, and the findings (the report's JSON)."""
    from jixiao.write.selfeval_layout import target_text

    rows = []
    for row in scores.rows:
        indicator = evaluation.approved.indicators[row.row - 1]
        result = evaluation.indicators[row.row - 1]
        rows.append(
            {
                "row": row.row,
                "name": row.name,
                "target": target_text(indicator),
                "actual": result.actual
                if result.actual is not None
                else (result.tier.value if result.tier else None),
                "points": format_amount(row.points),
                "computed": format_amount(row.computed),
                "score": format_amount(row.score),
                "manual": row.manual,
                "why": row.why,
            }
        )
    execution = scores.execution
    return {
        **report.to_dict(),
        "profile": profile.name,
        "execution": {
            "annual_budget": _amount(execution.annual_budget),
            "executed": _amount(execution.executed),
            "rate_percent": _amount(execution.rate_percent),
            "points": format_amount(execution.points),
            "score": format_amount(execution.score),
            "why": execution.why,
        },
        "rows": rows,
        "total": format_amount(scores.total),
        "grade": scores.grade,
    }


def _print_scores(evaluation: SelfEvaluation, scores: Scores, report: Report, profile: Profile) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from jixiao.write.selfeval_layout import target_text

    # Piped, rich would wrap the why column at 80 characters: give the table room instead.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    approved = evaluation.approved
    title = f"{approved.department.name} {approved.year or ''} 绩效自评得分（设定：{profile.name}）"
    table = Table(title=title, show_lines=False)
    for heading, justify in (
        ("行", "right"),
        ("三级指标", "left"),
        ("目标", "left"),
        ("实际", "left"),
        ("分值", "right"),
        ("得分", "right"),
        ("计分说明", "left"),
    ):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    execution = scores.execution
    rate = "" if execution.rate_percent is None else f"{format_amount(execution.rate_percent)}%"
    table.add_row(
        "", "预算执行率", "", rate, format_amount(execution.points), format_amount(execution.score),
        escape(execution.why),
    )  # fmt: skip
    for row in scores.rows:
        indicator = approved.indicators[row.row - 1]
        result = evaluation.indicators[row.row - 1]
        actual = result.actual if result.actual is not None else (result.tier.value if result.tier else "")
        table.add_row(
            str(row.row), escape(row.name), escape(target_text(indicator)), escape(actual or ""),
            format_amount(row.points), format_amount(row.score), escape(row.why),
        )  # fmt: skip
    table.add_section()
    table.add_row(
        "",
        "总分",
        "",
        "",
        format_amount(scores.points_total),
        format_amount(scores.total),
        f"等级：{scores.grade}",
    )
    console.print(table)
    fatal = is_fatal(report)
    _print_report(console, report, fatal)


monitor_app = typer.Typer(
    name="monitor", help="绩效运行监控：由批复的目标表生成运行监控工作簿。", no_args_is_help=True
)
app.add_typer(monitor_app)


@monitor_app.command("new")
def monitor_new(
    table_file: ApprovedTableFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="要生成的运行监控工作簿（.xlsx）")],
    month: Annotated[
        int | None, typer.Option("--month", help="数据截至该月末（1–11；默认：设定中的监控月份，通常为 7）")
    ] = None,
    profile_file: Annotated[
        Path | None,
        typer.Option("--profile", help="设定文件（JSON），决定偏差原因、完成可能性的选项和监控月份"),
    ] = None,
) -> None:
    """由批复的目标表生成部门填写的绩效运行监控工作簿：复制的部分锁定，待填写的单元格标为浅黄色。"""
    from jixiao.model.monitoring import MonitoringReport
    from jixiao.monitoring import month_valid

    profile = _profile(profile_file)
    month = profile.monitoring_month if month is None else month
    if not month_valid(month):
        raise _fail(f"截至月份为 {month} 月：运行监控应截至 1–11 月中某月的月末（12 月请做绩效自评）。")
    from jixiao.write.monitoring import blank_workbook

    _new_workbook(
        table_file,
        output,
        profile,
        "运行监控工作簿",
        lambda table: blank_workbook(MonitoringReport.from_table(table, month), profile),
        f"截至 {month} 月末，",
    )


@app.command("warnings")
def warnings_command(
    file: Annotated[Path, typer.Argument(help="绩效运行监控表（任何可读格式，含填好的监控工作簿）")],
    profile_file: Annotated[Path | None, typer.Option("--profile", help="设定文件（JSON）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """按设定计算绩效运行监控表的预算执行预警、每个指标的预警和部门预警（红、黄、绿、蓝、灰）。"""
    from jixiao.monitoring import warnings
    from jixiao.read.monitoring import MonitoringReadResult

    profile = _profile(profile_file)
    try:
        result = read_document_path(file, profile)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    if not isinstance(result, MonitoringReadResult):
        kind = _kind_name(result)
        raise _fail(
            f"{file}：这是{kind}，不是绩效运行监控表；"
            f"请先用 jixiao monitor new 目标表 --month 7 -o 监控表.xlsx 生成监控工作簿，填写后再查看预警。"
        )
    found = warnings(result.report, profile)
    report = check_monitoring(result.report, profile, str(file), result.findings)
    if as_json:
        document = warnings_json(result.report, found, report, profile)
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    else:
        _print_warnings(result.report, found, report, profile)
    raise typer.Exit(1 if not report.valid else 0)


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "colour": None if alert.colour is None else alert.colour.value,
        "word": alert.word,
        "v": _amount(alert.v),
        "why": alert.why,
    }


def warnings_json(
    report: MonitoringReport, found: Warnings, checked: Report, profile: Profile
) -> dict[str, Any]:
    """``jixiao warnings --json``: the budget's, every row's, each group's and the department's
    warning (colour, word, v and why), and the findings (the report's JSON)."""
    from jixiao.write.selfeval_layout import target_text

    budget = found.budget
    return {
        **checked.to_dict(),
        "profile": profile.name,
        "month": found.month,
        "time_progress_percent": _amount(found.time_progress_percent),
        "budget": {
            "adjusted_budget": _amount(budget.adjusted_budget),
            "executed": _amount(budget.executed),
            "rate_percent": _amount(budget.rate),
            **_alert_json(budget.alert),
        },
        "rows": [
            {
                "row": row.row,
                "name": row.name,
                "level1": row.level1,
                "target": target_text(report.approved.indicators[row.row - 1]),
                "to_date": progress.to_date
                if progress.to_date is not None
                else (progress.tier.value if progress.tier is not None else None),
                "forecast": progress.forecast,
                "likelihood": progress.likelihood,
                **_alert_json(row.alert),
            }
            for row, progress in zip(found.rows, report.indicators, strict=True)
        ],
        "groups": {
            level1: None if colour is None else {"colour": colour.value, "word": colour.word}
            for level1, colour in found.groups.items()
        },
        "department": _alert_json(found.department),
    }


#: How rich shows each colour (the word is always printed too).
_COLOUR_STYLES: Final = {
    "red": "bold white on red",
    "yellow": "bold black on yellow",
    "green": "bold white on green",
    "blue": "bold white on blue",
    "grey": "black on grey70",
}


def _word(alert: Alert) -> str:
    from rich.markup import escape

    if alert.colour is None:
        return escape(alert.word)
    return f"[{_COLOUR_STYLES[alert.colour.value]}] {escape(alert.word)} [/]"


def _print_warnings(report: MonitoringReport, found: Warnings, checked: Report, profile: Profile) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from jixiao.write.selfeval_layout import target_text

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    approved = report.approved
    progress_text = (
        ""
        if found.time_progress_percent is None
        else f"，序时进度 {format_amount(found.time_progress_percent)}%"
    )
    title = (
        f"{approved.department.name} {report.year or ''} 年 1–{report.month} 月绩效运行监控预警"
        f"（设定：{profile.name}{progress_text}）"
    )
    table = Table(title=title, show_lines=False)
    for heading, justify in (
        ("行", "right"),
        ("三级指标", "left"),
        ("目标", "left"),
        (f"1–{report.month}月完成值", "left"),
        ("全年预计", "left"),
        ("完成可能性", "left"),
        ("预警", "center"),
        ("说明", "left"),
    ):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    budget = found.budget
    rate = "" if budget.rate is None else f"执行率 {format_amount(budget.rate)}%"
    table.add_row(
        "",
        "预算执行",
        _amount(budget.adjusted_budget) or "",
        rate,
        "",
        "",
        _word(budget.alert),
        escape(budget.alert.why),
    )
    for row, progress in zip(found.rows, report.indicators, strict=True):
        value = (
            progress.to_date
            if progress.to_date is not None
            else (progress.tier.value if progress.tier else "")
        )
        table.add_row(
            str(row.row), escape(row.name), escape(target_text(approved.indicators[row.row - 1])),
            escape(value or ""), escape(progress.forecast or ""), escape(progress.likelihood or ""),
            _word(row.alert), escape(row.alert.why),
        )  # fmt: skip
    table.add_section()
    table.add_row("", "部门预警", "", "", "", "", _word(found.department), escape(found.department.why))
    console.print(table)
    _print_report(console, checked, is_fatal(checked))


def _usage_message(error: UsageError) -> str:
    """A command-line mistake in Chinese: which argument or option, and where to find help."""
    hint = ""
    if isinstance(error, MissingParameter | BadParameter):
        if error.param_hint:
            hint = error.param_hint if isinstance(error.param_hint, str) else " / ".join(error.param_hint)
        elif error.param is not None:
            hint = error.param.get_error_hint() or (error.param.name or "")
    if isinstance(error, MissingParameter):
        what = "参数" if error.param is not None and error.param.param_type_name == "argument" else "选项"
        problem = f"缺少{what} {hint}。"
    elif isinstance(error, NoSuchOption):
        problem = f"没有选项 {error.option_name}。"
    elif isinstance(error, BadParameter):
        problem = f"{hint} 的值无效（{error.message}）。"
    else:
        problem = f"用法有误：{error.format_message()}"
    command = error.ctx.command_path if error.ctx else "jixiao"
    return f"{problem}运行 {command} --help 查看用法。"


#: Entry-point group of command plug-ins: each names a function that adds commands to :data:`app`
#: (the web system adds ``serve`` and ``audit`` this way, so the library never imports it).
PLUGIN_GROUP: Final = "jixiao.commands"
BUILTIN_COMMANDS: Final = frozenset(
    {"parse", "check", "convert", "schema", "selfeval", "score", "monitor", "warnings"}
)


def load_plugins(argv: list[str]) -> None:
    """Add the plug-ins' commands, unless a built-in command is run (it starts faster without)."""
    if len(argv) > 1 and argv[1] in BUILTIN_COMMANDS:
        return
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=PLUGIN_GROUP):
        entry_point.load()(app)


def main() -> None:
    """Entry point of the ``jixiao`` command: usage mistakes are told in Chinese, exit 2."""
    load_plugins(sys.argv)
    # Everything imported so far lives as long as the process: keep the collector from walking it
    # again and again while a batch allocates tables.
    gc.freeze()
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        # Making the error printed the help already (rich prints it and returns nothing); plain
        # click returns it as the message instead.
        if error.message.strip():
            sys.stdout.write(error.message + "\n")
        raise SystemExit(0) from None
    except UsageError as error:
        sys.stderr.write(_usage_message(error) + "\n")
        raise SystemExit(2) from None
    except (Abort, KeyboardInterrupt):
        sys.stderr.write("已中断。\n")
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)
