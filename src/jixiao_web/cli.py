"""The web system's commands, added to ``jixiao`` through the ``jixiao.commands`` plug-in hook:
``jixiao serve`` and ``jixiao audit verify``."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_DATA_DIR = Path("jixiao-data")
#: gunicorn restarts a worker silent for this long: longer than reading an upload may take
#: (``uploads.TIMEOUT_SECONDS``), so the reader's own time-out answers first, in Chinese.
WORKER_TIMEOUT_SECONDS = 150


def _setup(data_dir: Path) -> Path:
    """Point Django at ``data_dir`` and start it; the data dir is made if missing."""
    data_dir = data_dir.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".jixiao-write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        typer.echo(
            f"无法使用数据目录 {data_dir}：{error.strerror or error}。请用 --data-dir 指定一个可写的目录。",
            err=True,
        )
        raise typer.Exit(2) from None
    os.environ["JIXIAO_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jixiao_web.settings"
    import django

    django.setup()
    return data_dir


DataDir = Annotated[Path, typer.Option("--data-dir", help="数据目录：SQLite 数据库、密钥、导出文件")]


def serve(
    demo: Annotated[bool, typer.Option("--demo", help="载入示例城市（揭阳市）及其账号")] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="gunicorn 工作进程数")] = 3,
) -> None:
    """启动网页系统（gunicorn，只监听 127.0.0.1）：先执行数据库迁移，--demo 载入示例数据。"""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            typer.echo(
                f"端口 {port} 已被占用（也许 jixiao serve 已在运行）：请用 --port 换一个端口。", err=True
            )
            raise typer.Exit(2)
    data_dir = _setup(data_dir)
    from django.core.management import call_command

    from jixiao_web import demo as demo_city

    call_command("migrate", verbosity=0, interactive=False)
    if demo and demo_city.load(data_dir):
        typer.echo("已载入示例城市：揭阳市。")
    if not demo:  # the printed passwords are known to whoever saw them: changed at first log-in
        demo_city.require_password_changes(data_dir)
    address = f"http://127.0.0.1:{port}/"
    typer.echo(f"jixiao 网页系统：{address}  （公开页面 {address}public/，API 文档 {address}api/docs）")
    from jixiao_web.models import User

    if not User.objects.exists():
        typer.echo(
            "还没有任何用户：先运行 jixiao manage createsuperuser 创建管理员，再在 /admin/ 添加部门和用户。"
        )
    accounts = demo_city.accounts(data_dir)
    if accounts:
        first = "" if demo else "；不是示例模式，首次登录须修改密码"
        typer.echo(f"示例账号（密码另存于 {data_dir / 'demo-accounts.txt'}{first}）：")
        for username, password, who in accounts:
            typer.echo(f"  {username:<18} {password:<14} {who}")
    sys.stdout.flush()
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jixiao_web.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(WORKER_TIMEOUT_SECONDS),
            "--graceful-timeout",
            "10",
            # gunicorn's control socket goes into the data dir, not the home directory.
            "--control-socket",
            str(data_dir / "gunicorn.ctl"),
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms',
        ],
    )


def manage(
    ctx: typer.Context,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """运行 Django 管理命令，如 createsuperuser、changepassword、dbshell。"""
    _setup(data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jixiao manage", *ctx.args])


audit_app = typer.Typer(help="操作记录（哈希链）", no_args_is_help=True)


@audit_app.command("verify")
def verify(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """检查操作记录的哈希链，以及提交版本和导出文件是否与记录一致：任何改动或删除都会被指出（退出码 1）。"""
    if not (data_dir / "audit_key").is_file():
        typer.echo(
            f"数据目录 {data_dir.resolve()} 中没有 audit_key（操作记录的密钥）：请用 --data-dir 指向"
            " jixiao serve 使用的数据目录。",
            err=True,
        )
        raise typer.Exit(2)
    _setup(data_dir)
    from jixiao_web.audit import verify as verify_chain
    from jixiao_web.models import AuditEntry, Export, Version

    breaks = verify_chain()
    count = AuditEntry.objects.count()
    if not breaks:
        typer.echo(
            f"操作记录完整：共 {count} 条，哈希链无断裂；"
            f"{Version.objects.count()} 个提交版本、{Export.objects.count()} 个导出文件与记录一致。"
        )
        return
    for problem in breaks:
        typer.echo(
            problem.message if problem.seq is None else f"第{problem.seq}条：{problem.message}", err=True
        )
    typer.echo(f"操作记录已被改动：发现 {len(breaks)} 处断裂（共 {count} 条）。", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """The ``jixiao.commands`` hook: add ``serve`` and ``audit`` to the ``jixiao`` command."""
    app.command("serve")(serve)
    app.command("manage", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(manage)
    app.add_typer(audit_app, name="audit")
