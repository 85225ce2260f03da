"""The web system's commands, added to ``jixiao`` through the ``jixiao.commands`` plug-in hook:
``jixiao serve``, ``jixiao worker``, ``jixiao remind``, ``jixiao manage``, ``jixiao audit verify`` and
``jixiao audit checkpoint``, ``jixiao backup`` and ``jixiao restore``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from jixiao_web.audit import Break, Checkpoint

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
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:  # a key or setting named by the environment
        typer.echo(f"设置有误：{error}", err=True)
        raise typer.Exit(2) from None
    return data_dir


def _private(data_dir: Path) -> None:
    """The data dir for its owner only: 0700 for it and its folders, 0600 for its files (the
    database, its journals, the keys, stored exports).  Wider modes are repaired with a message;
    what cannot be repaired (another owner) is refused."""
    repaired: list[str] = []
    paths = [data_dir, *sorted(data_dir.rglob("*"))]
    for path in paths:
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(status.st_mode) or not status.st_mode & 0o077:
            continue
        wanted = 0o700 if stat.S_ISDIR(status.st_mode) else 0o600
        try:
            path.chmod(wanted)
        except OSError as error:
            typer.echo(
                f"数据目录中的 {path} 权限为 {stat.S_IMODE(status.st_mode):04o}，其他用户可以读取，"
                f"且无法改为 {wanted:04o}（{error.strerror or error}）：为保护会话和密钥，拒绝启动。"
                "请由其所有者运行，或手动修改权限。",
                err=True,
            )
            raise typer.Exit(2) from None
        repaired.append(
            f"{path.relative_to(data_dir.parent)}（{stat.S_IMODE(status.st_mode):04o} → {wanted:04o}）"
        )
    if repaired:
        shown = "、".join(repaired[:5]) + (f" 等 {len(repaired)} 项" if len(repaired) > 5 else "")
        typer.echo(f"数据目录的权限过宽，其他用户可以读取数据库和密钥，已改为仅本人可读写：{shown}。")


DataDir = Annotated[Path, typer.Option("--data-dir", help="数据目录：SQLite 数据库、密钥、导出文件")]


def serve(
    demo: Annotated[bool, typer.Option("--demo", help="载入示例城市（揭阳市）及其账号")] = False,
    port: Annotated[
        int,
        typer.Option(
            "--port", min=1, max=65535, envvar="JIXIAO_PORT", help="端口（也可由环境变量 JIXIAO_PORT 给出）"
        ),
    ] = 8000,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="gunicorn 工作进程数")] = 3,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="同时启动一个后台任务进程（发送提醒邮件等）；另行运行 jixiao worker 时用 --no-worker",
        ),
    ] = True,
) -> None:
    """启动网页系统（gunicorn，只监听 127.0.0.1）：先执行数据库迁移，--demo 载入示例数据，并启动一个后台任务进程。"""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            typer.echo(
                f"端口 {port} 已被占用（也许 jixiao serve 已在运行）：请用 --port 换一个端口。", err=True
            )
            raise typer.Exit(2)
    os.umask(0o077)  # whatever the server makes from now on is its owner's alone
    # Reading uploads may hold at most all but one worker (jixiao_web.uploads.reading_slot).
    os.environ.setdefault("JIXIAO_UPLOAD_READERS", str(max(1, workers - 1)))
    if demo and not os.environ.get("JIXIAO_SMTP_HOST"):
        # The demo's addresses are examples: its worker prints the mails instead of sending them.
        os.environ.setdefault("JIXIAO_MAIL_BACKEND", "console")
    # ops: the workers' request counts in files /metrics adds up, fresh at each start.
    metrics_dir = data_dir.resolve() / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    data_dir = _setup(data_dir)
    metrics_dir.mkdir(mode=0o700, exist_ok=True)
    _private(data_dir)
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
    if worker:
        _start_worker(data_dir)
        typer.echo("后台任务进程已启动（随网页系统一同停止）。")
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
            # No access log: jixiao_web.ops writes one JSON line per request instead, without the
            # query string's values and the client's address.
        ],
    )


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the worker child: end (SIGTERM: finish the task at hand) when ``serve`` ends, however it
    ends; ``serve`` becomes gunicorn's master, which stays the child's parent (Linux only)."""
    # Not Linux: no prctl; the worker is then ended with the process group.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    """``jixiao worker`` beside the web system, in its process group, ended when it ends."""
    return subprocess.Popen(
        [sys.executable, "-c", "from jixiao.cli import main; main()", "worker", "--data-dir", str(data_dir)],
        preexec_fn=_die_with_parent,
    )


def worker(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    batch: Annotated[
        bool, typer.Option("--batch", help="执行完当前已到期的任务后退出（用于定时任务和测试）")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, max=3600, help="队列为空时每隔多少秒查看一次")
    ] = 1.0,
) -> None:
    """运行后台任务进程：从数据库中的任务队列取任务执行（生成下载文件、读取上传文件、佐证材料、开放数据、指标库、提醒邮件），并定期检查截止提醒。可在多台机器上各运行一个；被强行终止的进程正在做的任务会由其他进程接着做。"""
    _setup(data_dir)
    from django.db import DatabaseError

    from jixiao_web import tasks

    try:
        tasks.schedule(tasks.sweep_reminders)
    except DatabaseError as error:
        typer.echo(f"无法使用任务队列（{error}）：请先运行 jixiao serve 或 jixiao manage migrate。", err=True)
        raise typer.Exit(2) from None
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Command, Worker

    Command().configure_logging(1)
    worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"
    # queue: the lease first, then work; the heartbeat thread renews it and recovers the tasks of
    # workers that died (jixiao_web.tasks.recover).
    tasks.beat(worker_id)
    tasks.recover()
    heartbeat = tasks.Heartbeat(worker_id)
    heartbeat.start()
    runner = Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    runner.configure_signals()
    try:
        runner.run()
    finally:
        heartbeat.stop()
        with contextlib.suppress(DatabaseError):
            from jixiao_web.models import WorkerLease

            WorkerLease.objects.filter(worker_id=worker_id).delete()


def remind(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """立即检查截止提醒：把到期应发的提醒邮件放入任务队列（已发过的不重发），由后台任务进程发送。"""
    _setup(data_dir)
    from jixiao_web import reminders

    made = reminders.sweep()
    typer.echo(f"已放入任务队列 {len(made)} 封截止提醒邮件。")


def manage(
    ctx: typer.Context,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """运行 Django 管理命令，如 createsuperuser、changepassword、dbshell。"""
    _setup(data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jixiao manage", *ctx.args])


audit_app = typer.Typer(help="操作记录（哈希链）", no_args_is_help=True)


def _need_key(data_dir: Path) -> None:
    """The audit key must already exist (from the environment or the data dir): verifying with a
    key made on the spot would only say that everything is altered."""
    if os.environ.get("JIXIAO_AUDIT_KEY", "").strip() or os.environ.get("JIXIAO_AUDIT_KEY_FILE"):
        return
    if not (data_dir / "audit_key").is_file():
        typer.echo(
            f"数据目录 {data_dir.resolve()} 中没有 audit_key（操作记录的密钥），也没有设置环境变量"
            " JIXIAO_AUDIT_KEY 或 JIXIAO_AUDIT_KEY_FILE：请用 --data-dir 指向 jixiao serve 使用的数据目录，"
            "或设置与其他节点相同的密钥。",
            err=True,
        )
        raise typer.Exit(2)


def _say_breaks(breaks: list[Break], count: int) -> None:
    for problem in breaks:
        typer.echo(
            problem.message if problem.seq is None else f"第{problem.seq}条：{problem.message}", err=True
        )
    typer.echo(f"操作记录已被改动：发现 {len(breaks)} 处断裂（共 {count} 条）。", err=True)


Checkpoints = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        help="此前用 jixiao audit checkpoint 写出的检查点文件（可多次给出）：证明其前的记录没有被改动或删除",
    ),
]


@audit_app.command("verify")
def verify(data_dir: DataDir = DEFAULT_DATA_DIR, checkpoint: Checkpoints = None) -> None:
    """检查操作记录的哈希链，以及提交版本、目标表状态和导出文件是否与记录一致：任何改动或删除都会被指出（退出码 1）。"""
    _need_key(data_dir)
    _setup(data_dir)
    points = _checkpoints(checkpoint)
    from jixiao_web.audit import verify as verify_chain
    from jixiao_web.models import AuditEntry, Export, Filing, Kind, Version

    breaks = verify_chain([point for _, point in points])
    count = AuditEntry.objects.count()
    if breaks:
        _say_breaks(breaks, count)
        raise typer.Exit(1)
    selfevals = Filing.objects.filter(kind=Kind.SELFEVAL).count()
    monitored = Filing.objects.filter(kind=Kind.MONITORING).count()
    others = "、".join(
        f"{number} 张{noun}" for number, noun in ((selfevals, "自评表"), (monitored, "运行监控表")) if number
    )
    typer.echo(
        f"操作记录完整：共 {count} 条，哈希链无断裂；{Filing.objects.count() - selfevals - monitored} 张目标表"
        + (f"和 {others}" if others else "")
        + f"的状态、{Version.objects.count()} 个提交版本、{Export.objects.count()} 个导出文件与记录一致。"
    )
    for path, point in points:
        typer.echo(f"与检查点 {path} 一致：第{point.seq}条（{point.when}）及其之前的记录没有被改动或删除。")
    if not points:
        typer.echo(
            "（没有给出检查点：同时掌握数据库和密钥的人可以改写全部记录而不被发现；"
            "请定期用 jixiao audit checkpoint 写出检查点并另行保管，核对时用 --checkpoint 给出。）"
        )


def _checkpoints(paths: list[Path] | None) -> list[tuple[Path, Checkpoint]]:
    points = []
    for path in paths or []:
        try:
            points.append((path, _read_checkpoint(path)))
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            typer.echo(f"无法读取检查点文件 {path}：{reason}。", err=True)
            raise typer.Exit(2) from None
    return points


def _read_checkpoint(path: Path) -> Checkpoint:
    from jixiao_web.audit import Checkpoint

    return Checkpoint.from_json(path.read_text(encoding="utf-8"))


@audit_app.command("checkpoint")
def checkpoint(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="写入的文件（不可已存在）；不给则输出到标准输出")
    ] = None,
) -> None:
    """先校验操作记录，再写出链尾（序号、哈希、时间）作为检查点：请保存在数据库和数据目录之外。"""
    _need_key(data_dir)
    if output is not None and output.exists():
        typer.echo(f"{output} 已存在：检查点不覆盖已有的文件，请换一个文件名。", err=True)
        raise typer.Exit(2)
    _setup(data_dir)
    from jixiao_web import audit
    from jixiao_web.models import AuditEntry

    breaks = audit.verify()
    if breaks:
        _say_breaks(breaks, AuditEntry.objects.count())
        typer.echo("记录已被改动，没有写出检查点。", err=True)
        raise typer.Exit(1)
    point = audit.checkpoint()
    if output is None:
        typer.echo(point.to_json(), nl=False)
        return
    try:
        with output.open("x", encoding="utf-8") as handle:
            handle.write(point.to_json())
    except OSError as error:
        typer.echo(f"无法写入 {output}：{error.strerror or error}。", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"已写出检查点 {output}：第{point.seq}条，哈希 {point.hash[:16]}…，时间 {point.when}。"
        "请把它保存在数据库和数据目录之外（另一台计算机、打印件，或交给审计机关）。"
    )


def backup(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="写入的备份文件（不可已存在），如 jixiao-备份.tar.gz")
    ],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """备份数据库（SQLite 或 PostgreSQL）、密钥和数据目录中保存的文件（导出文件、佐证材料）到一个文件。"""
    _need_key(data_dir)
    _setup(data_dir)
    from jixiao_web import backup as backups

    try:
        made = backups.create(data_dir.resolve(), output)
    except backups.Refused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(made.engine, made.engine)
    typer.echo(
        f"已写出备份 {output}（{made.size / 1024 / 1024:.1f} MB）：{engine} 数据库、密钥、{made.files} 个文件；"
        f"操作记录到第{made.chain_seq}条。备份中含有密钥，请加密保存，检查点另行保管。"
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="jixiao backup 写出的备份文件")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    checkpoint: Checkpoints = None,
) -> None:
    """由备份恢复到新的（或空的）数据目录；设置了 DATABASE_URL 时恢复到该空 PostgreSQL 数据库。先整体核对备份，再写入，最后校验操作记录。"""
    from jixiao_web import backup as backups

    if not archive.is_file():
        typer.echo(f"找不到备份文件 {archive}。", err=True)
        raise typer.Exit(2)
    for path in checkpoint or []:  # read after restoring (Django set up), but there before anything
        if not path.is_file():
            typer.echo(f"无法读取检查点文件 {path}：文件不存在。", err=True)
            raise typer.Exit(2)
    os.umask(0o077)
    try:
        made, manifest = backups.restore(archive, data_dir)
    except backups.Refused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1 if error.altered else 2) from None
    from jixiao_web.audit import Break
    from jixiao_web.audit import verify as verify_chain
    from jixiao_web.models import AuditEntry, AuditHead

    engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(made.engine, made.engine)
    typer.echo(f"已恢复到 {data_dir.resolve()}：{engine} 数据库、密钥、{made.files} 个文件。")
    points = _checkpoints(checkpoint)
    breaks = verify_chain([point for _, point in points])
    head = AuditHead.objects.filter(pk=1).first()
    restored = (head.seq, head.hash) if head else (0, "")
    if restored != (manifest["chain"]["seq"], manifest["chain"]["hash"]):
        breaks.append(
            Break(None, f"恢复的链尾（第{restored[0]}条）不是备份时记下的链尾（第{made.chain_seq}条）")
        )
    if breaks:
        _say_breaks(breaks, AuditEntry.objects.count())
        typer.echo(
            f"恢复的数据保留在 {data_dir.resolve()} 以便检查：操作记录未通过校验，请不要用它启动服务。",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"操作记录完整：共 {AuditEntry.objects.count()} 条，与备份时的链尾（第{made.chain_seq}条）一致。"
    )
    for path, point in points:
        typer.echo(f"与检查点 {path} 一致：第{point.seq}条（{point.when}）及其之前的记录没有被改动或删除。")
    if not points and not os.environ.get("JIXIAO_AUDIT_KEY") and not os.environ.get("JIXIAO_AUDIT_KEY_FILE"):
        typer.echo(
            "（密钥取自备份本身：以上只说明备份完整、前后一致。要证明它就是当时的备份，请用 --checkpoint 给出"
            "另行保管的检查点，或设置当时的 JIXIAO_AUDIT_KEY。）"
        )


def register(app: typer.Typer) -> None:
    """The ``jixiao.commands`` hook: add ``serve`` and ``audit`` to the ``jixiao`` command."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("remind")(remind)
    app.command("manage", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(manage)
    app.add_typer(audit_app, name="audit")
    app.command("backup")(backup)
    app.command("restore")(restore)
