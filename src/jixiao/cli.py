"""The ``jixiao`` command line (``shared/spec/README.md``, "Command line").

Thin: it calls the library and formats what comes back.  Exit codes: ``parse``/``convert`` 0 read,
2 unreadable; ``check`` 0 all valid, 1 some table has an error, 2 some file unreadable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

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
from jixiao.check import check_table
from jixiao.findings import ReadError, Report, Severity
from jixiao.layouts import LAYOUTS
from jixiao.model import TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import SelfEvaluation
from jixiao.read import EXTENSIONS, read_path
from jixiao.write import UnsupportedOutput, write_bytes

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
    """读取一个文件，输出其规范 JSON。"""
    try:
        result = read_path(file)
    except ReadError as error:
        raise _fail(error.finding.message) from None
    for note in result.findings:
        sys.stderr.write(f"{note.severity.label}：{note.message}\n")
    sys.stdout.write(result.table.to_json() + "\n")


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="文件或文件夹（文件夹会逐层查找）")],
    as_json: Annotated[bool, typer.Option("--json", help="每个文件输出一行 JSON 报告")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="并行进程数（默认：全部 CPU 核心）")
    ] = None,
) -> None:
    """读取并校验文件，报告问题。"""
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
        for report in check_files(files, jobs):
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
    """把表格转换为另一种格式（.xlsx .html .pdf .docx .txt .json）。"""
    try:
        result = read_path(file)
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
BUILTIN_COMMANDS: Final = frozenset({"parse", "check", "convert", "schema"})


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
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        if error.ctx is not None:
            sys.stdout.write(error.ctx.get_help() + "\n")
        raise SystemExit(0) from None
    except UsageError as error:
        sys.stderr.write(_usage_message(error) + "\n")
        raise SystemExit(2) from None
    except (Abort, KeyboardInterrupt):
        sys.stderr.write("已中断。\n")
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)
