"""A demo city: 揭阳市's finance bureau, departments with tables in every state, and accounts.

The tables are the real published 2023 table of 揭阳市应急管理局 (``demo_data/``, read with the
library) and 2024 tables derived from it for the other departments.  Everything goes through the
services, so the demo's history is in the audit log like any other.  Passwords are random, kept in
``demo-accounts.txt`` in the data dir (owner-only) and printed at every start.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal
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


def seed_table() -> TargetTable:
    """A fresh copy of the real 2023 table (read once)."""
    return _seed().model_copy(deep=True)


@cache
def _seed() -> TargetTable:
    data = files("jixiao_web").joinpath("demo_data/jieyang-yingji-2023.txt").read_bytes()
    return read_bytes(data, "jieyang-yingji-2023.txt").table


def derived_table(name: str, competent: str, year: int, scale: Decimal) -> TargetTable:
    """The seed table, moved to another department and year, amounts scaled (totals still add up)."""
    table = services.moved_to_year(seed_table(), year)
    table.department.name = name
    table.department.competent_department = competent
    for task in table.tasks:
        if task.amount is not None:
            task.amount = (task.amount * scale).quantize(Decimal("0.01"))
    table.budget.project_expenditure = table.task_total
    return table


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
        reviewer = _user("shenhe1", Role.REVIEWER, finance, "财政局审核人一", passwords)
        _user("shenhe2", Role.REVIEWER, finance, "财政局审核人二", passwords)
        now = timezone.now()
        FilingYear.objects.create(year=2023, deadline=now - timedelta(days=700), is_open=False)
        FilingYear.objects.create(year=OPEN_YEAR, deadline=now + timedelta(days=14))
        for index, (code, name, competent, status) in enumerate(DEPARTMENTS):
            department = Department.objects.create(code=code, name=name, competent_department=competent)
            filer = _user(f"{code}_tianbao", Role.FILER, department, f"{name[3:]}填报人", passwords)
            _user(f"{code}_fuze", Role.HEAD, department, f"{name[3:]}负责人", passwords)
            if code == "yingji":
                _walk(seed_table(), department, 2023, "published", filer, reviewer)
            elif status:
                scale = Decimal(1) + Decimal(index) / Decimal(10)
                table = derived_table(name, competent, OPEN_YEAR, scale)
                _walk(table, department, OPEN_YEAR, status, filer, reviewer)
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
    if status == "draft":
        # A draft with work left: a task whose amount no longer matches 项目支出.
        table.tasks[0].amount = (table.tasks[0].amount or Decimal(0)) + Decimal(10)
        services.save_draft(as_filer, filing, table, filing.revision)
    elif status == "head_review":
        city = City.current()
        city.head_approval_required = True
        city.save()
        services.submit(as_filer, filing)
        city.head_approval_required = False
        city.save()
    else:
        services.submit(as_filer, filing)
        filing.refresh_from_db()
        if status == "returned":
            comments = [
                ReviewComment(
                    "indicators", 1, "数量指标请写明审查项目的具体个数，与总体目标中的“不少于4个”一致。"
                ),
                ReviewComment("overall_goal", None, "总体目标第2点请补充可考核的完成时限。"),
            ]
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
