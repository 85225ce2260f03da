"""A demo city: 揭阳市's finance bureau, departments with tables in every state, and accounts.

Every department's table is its own (``demo_data/``, in the text form the library reads):
揭阳市应急管理局's is the real published 2023 table; the 2024 tables of the others are written for
the demo, each about its department's work, with amounts in 万元 that add up.  Some carry the
defects real published tables have (:data:`PLANTED`), so the demo shows the rules at work.
Everything goes through the services, so the demo's history is in the audit log like any other.
Passwords are random, kept in ``demo-accounts.txt`` in the data dir (owner-only) and printed at
every start.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao.read import read_bytes
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import City, Department, FilingYear, Role, User
from jixiao_web.services import ReviewComment

CITY = "揭阳市"
FINANCE = ("czj", "揭阳市财政局", "")
#: code, name, competent department, status of its 2024 table ("" = not started)
DEPARTMENTS = (
    ("yingji", "揭阳市应急管理局", "应急管理", ""),
    ("jiaoyu", "揭阳市教育局", "教育", "draft"),
    ("shuiwu", "揭阳市水务局", "水务", "head_review"),
    ("weijian", "揭阳市卫生健康局", "卫生健康", "submitted"),
    ("jiaotong", "揭阳市交通运输局", "交通运输", "returned"),
    ("nongye", "揭阳市农业农村局", "农业农村", "approved"),
    ("ziran", "揭阳市自然资源局", "自然资源", "published"),
)
OPEN_YEAR = 2024
#: The people of each department: its filer and its head (部门负责人).
PEOPLE = {
    "yingji": ("陈志强", "黄建华"),
    "jiaoyu": ("林晓敏", "郑国栋"),
    "shuiwu": ("蔡文杰", "许永辉"),
    "weijian": ("吴丽娟", "李振东"),
    "jiaotong": ("杨少鹏", "谢伟明"),
    "nongye": ("方秀英", "詹德胜"),
    "ziran": ("王嘉怡", "刘锦荣"),
}

#: The defects written into the demo tables on purpose, by department: the errors and warnings
#: their tables should show (the other tables have none).
PLANTED: dict[str, frozenset[str]] = {
    # A draft: 项目支出 mistyped (3868.5 for 3886.5), which also unbalances the two sides; ≥100%.
    "jiaoyu": frozenset({"project-expenditure-mismatch", "income-expenditure-mismatch", "percent-ge-100"}),
    # 其他资金 left 60 万元 short; the target written into an indicator's name.
    "weijian": frozenset({"income-expenditure-mismatch", "value-in-name"}),
    # Satisfaction filed under 效益 (so 满意度 is empty) and ≥100%: what the reviewer sent back.
    "jiaotong": frozenset({"indicator-misclassified", "satisfaction-indicator-missing", "percent-ge-100"}),
}

#: The finance bureau's comments on 交通运输局's table when it sent it back: (section, row, text).
RETURN_COMMENTS = (
    ("indicators", 8, "“群众出行满意度”是满意度指标，请移到“满意度指标/服务对象满意度指标”下。"),
    ("indicators", 7, "建制村通公交率不可能超过100%，“≥100%”请改为“=100%”。"),
    ("indicators", 4, "指标解释只重复了指标名称，请写明检测的桥梁范围和依据的养护规范。"),
)


def demo_table(code: str, year: int) -> TargetTable:
    """The demo table of department ``code`` for ``year`` (a fresh copy; read once)."""
    return _read(f"jieyang-{code}-{year}.txt").model_copy(deep=True)


def seed_table() -> TargetTable:
    """A fresh copy of the real 2023 table of 揭阳市应急管理局."""
    return demo_table("yingji", 2023)


@cache
def _read(name: str) -> TargetTable:
    data = files("jixiao_web").joinpath("demo_data", name).read_bytes()
    return read_bytes(data, name).table


def _user(
    username: str, role: Role, department: Department | None, full_name: str, passwords: dict[str, str]
) -> User:
    password = secrets.token_urlsafe(9)
    user = User.objects.create_user(
        username,
        password=password,
        role=role,
        department=department,
        full_name=full_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    passwords[username] = password
    return user


def load(data_dir: Path) -> bool:
    """Load the demo unless the database already has departments; True when loaded."""
    if Department.objects.exists():
        return False
    passwords: dict[str, str] = {}
    with transaction.atomic():
        city = City.current()
        city.name = CITY
        city.save()
        finance = Department.objects.create(code=FINANCE[0], name=FINANCE[1], is_finance_bureau=True)
        _user("admin", Role.ADMIN, finance, "系统管理员", passwords)
        reviewer = _user("shenhe1", Role.REVIEWER, finance, "张慧玲", passwords)
        _user("shenhe2", Role.REVIEWER, finance, "罗俊峰", passwords)
        now = timezone.now()
        FilingYear.objects.create(year=2023, deadline=now - timedelta(days=700), is_open=False)
        FilingYear.objects.create(year=OPEN_YEAR, deadline=now + timedelta(days=14))
        for code, name, competent, status in DEPARTMENTS:
            department = Department.objects.create(code=code, name=name, competent_department=competent)
            filer_name, head_name = PEOPLE[code]
            filer = _user(f"{code}_tianbao", Role.FILER, department, filer_name, passwords)
            _user(f"{code}_fuze", Role.HEAD, department, head_name, passwords)
            if code == "yingji":
                _walk(seed_table(), department, 2023, "published", filer, reviewer)
            elif status:
                _walk(demo_table(code, OPEN_YEAR), department, OPEN_YEAR, status, filer, reviewer)
    _save_passwords(data_dir, passwords)
    return True


def _walk(
    table: TargetTable, department: Department, year: int, status: str, filer: User, reviewer: User
) -> None:
    """Take a table through the workflow up to ``status``, as its people would."""
    as_filer, as_reviewer = Actor(filer), Actor(reviewer)
    closed = FilingYear.objects.filter(year=year, is_open=False)
    reopened = closed.update(is_open=True)  # a past year: filed when it was open
    filing = services.start_filing(as_filer, department, year, table)
    # A draft stays as started: work left, its planted errors.
    if status == "head_review":
        city = City.current()
        city.head_approval_required = True
        city.save()
        services.submit(as_filer, filing)
        city.head_approval_required = False
        city.save()
    elif status != "draft":
        services.submit(as_filer, filing)
        filing.refresh_from_db()
        if status == "returned":
            comments = [ReviewComment(section, row, text) for section, row, text in RETURN_COMMENTS]
            services.return_filing(as_reviewer, filing, comments, "中")
        elif status in ("approved", "published"):
            services.approve(as_reviewer, filing, "优")
            if status == "published":
                services.publish(as_reviewer, filing)
    if reopened:
        FilingYear.objects.filter(year=year).update(is_open=False)


def _save_passwords(data_dir: Path, passwords: dict[str, str]) -> None:
    path = data_dir / "demo-accounts.txt"
    lines = [f"{username}\t{password}" for username, password in passwords.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def require_password_changes(data_dir: Path) -> list[str]:
    """Outside demo mode, the printed demo passwords are known to anyone who saw the console: each
    demo account still on its printed password must change it at its next log-in."""
    path = data_dir / "demo-accounts.txt"
    if not path.exists():
        return []
    usernames = [line.split("\t")[0] for line in path.read_text().splitlines() if "\t" in line]
    return services.require_password_change(Actor(None), usernames)


def accounts(data_dir: Path) -> list[tuple[str, str, str]]:
    """(username, password, who) of the demo accounts still on the password saved at load."""
    path = data_dir / "demo-accounts.txt"
    if not path.exists():
        return []
    pairs = [line.split("\t") for line in path.read_text().splitlines() if "\t" in line]
    who = {
        u.username: f"{u.department.name if u.department else ''} {u.get_role_display()}"
        for u in User.objects.select_related("department").filter(password_changed_at__isnull=True)
    }
    return [(username, password, who[username]) for username, password in pairs if username in who]
