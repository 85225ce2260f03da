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

from jixiao.batch import check_files
from jixiao.catalogue import CATALOGUE
from jixiao.check import SELFEVAL_KIND, check_selfeval, check_table
from jixiao.findings import ReadError, Report, Severity
from jixiao.layouts import LAYOUTS
from jixiao.model import TargetTable, format_amount
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import DEFAULT, Profile, ProfileError, load_profile
from jixiao.read import EXTENSIONS
from jixiao.read.selfeval import SelfevalReadResult, read_document_path
from jixiao.scoring import Scores, score
from jixiao.write import UnsupportedOutput, write_bytes
from jixiao.write.selfeval_layout import target_text

if TYPE_CHECKING:
    from rich.console import Console

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


def is_fatal(report: Report) -> bool:
    """True when the source could not be read as a table at all."""
    return any(CATALOGUE[f.code].fatal for f in report.findings)


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
    """读取一个文件（目标表或绩效自评表），输出其规范 JSON。"""
    try:
        result = read_document_path(file)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    for note in result.findings:
        sys.stderr.write(f"{note.severity.label}：{note.message}\n")
    document = result.evaluation if isinstance(result, SelfevalReadResult) else result.table
    sys.stdout.write(document.to_json() + "\n")


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
        for report in check_files(files, jobs, profile):
            totals["files"] += 1
            fatal = is_fatal(report)
            totals["unreadable" if fatal else "valid" if report.valid else "invalid"] += 1
            for severity in Severity:
                counts[severity] += report.count(severity)
            if console is None:
                sys.stdout.write(report.to_json() + "\n")
            else:
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
    """把表格（目标表或绩效自评表）转换为另一种格式（.xlsx .html .pdf .docx .txt .json）。"""
    try:
        result = read_document_path(file)
        if isinstance(result, SelfevalReadResult):
            from jixiao.write.selfeval import write_selfeval_bytes

            report = check_selfeval(result.evaluation, DEFAULT, str(file), result.findings)
            data = write_selfeval_bytes(result.evaluation, output.suffix, DEFAULT, report)
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


selfeval_app = typer.Typer(
    name="selfeval", help="绩效自评：由批复的目标表生成自评工作簿。", no_args_is_help=True
)
app.add_typer(selfeval_app)


@selfeval_app.command("new")
def selfeval_new(
    table_file: Annotated[Path, typer.Argument(metavar="TABLE", help="批复的目标表（任何可读格式）")],
    output: Annotated[Path, typer.Option("-o", "--output", help="要生成的自评工作簿（.xlsx）")],
    profile_file: Annotated[
        Path | None, typer.Option("--profile", help="设定文件（JSON），决定各指标的默认分值")
    ] = None,
) -> None:
    """由批复的目标表生成部门填写的绩效自评工作簿：复制的部分锁定，待填写的单元格标为浅黄色。"""
    profile = _profile(profile_file)
    if output.suffix.lower() != ".xlsx":
        raise _fail(f"自评工作簿只能是 .xlsx 文件，而不是“{output.suffix or '无扩展名'}”。")
    try:
        result = read_document_path(table_file, profile)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    if isinstance(result, SelfevalReadResult):
        raise _fail(f"{table_file}：已经是绩效自评表；请给出批复的部门整体预算绩效目标表。")
    from jixiao.write.selfeval import blank_workbook

    evaluation = SelfEvaluation.from_table(result.table)
    _write(output, blank_workbook(evaluation, profile))
    sys.stdout.write(
        f"已生成 {output}：{len(evaluation.tasks)} 个任务、{len(evaluation.indicators)} 个指标待填写"
        "（浅黄色单元格；填写说明见第二个工作表）。\n"
    )


@app.command("score")
def score_command(
    file: Annotated[Path, typer.Argument(help="绩效自评表（任何可读格式）")],
    profile_file: Annotated[Path | None, typer.Option("--profile", help="设定文件（JSON）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """按设定计算绩效自评表每个指标的得分、预算执行率得分、总分和等级。"""
    profile = _profile(profile_file)
    try:
        result = read_document_path(file, profile)
    except ReadError as error:
        raise _fail(error.finding.message) from None
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
    raise typer.Exit(1 if not report.valid else 0)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format_amount(value)


def scores_json(
    evaluation: SelfEvaluation, scores: Scores, report: Report, profile: Profile
) -> dict[str, Any]:
    """``jixiao score --json``: every row's target, actual, points, score and why, the execution
    score, the total and grade, and the findings (the report's JSON)."""
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
BUILTIN_COMMANDS: Final = frozenset({"parse", "check", "convert", "schema", "selfeval", "score"})


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
