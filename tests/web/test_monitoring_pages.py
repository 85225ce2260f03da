"""The monitoring report's pages: the department's form (warnings as colour and word from the live
check, causes asked where the rules require them, unreadable amounts refused), submit, the
bureau's review (per-row comments, return, accept)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.model.monitoring import MonitoringReport
from jixiao.profile import VARIANTS
from jixiao_web import monitoring, services
from jixiao_web.audit import Actor
from jixiao_web.models import Comment, Filing, Status, User
from jixiao_web.monitoringform import FUNDS_COLUMNS, FUNDS_ROWS, INDICATOR_TEXTS, TASK_FIELDS

from .conftest import YEAR
from .test_monitoring import on_track


@pytest.fixture
def opened(target: Filing, actor: Callable[[str], Actor]) -> Filing:
    """The seed (基本支出 filled) approved, and its monitoring report as of July."""
    deadline = timezone.now() + timedelta(days=20)
    (made,) = monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], deadline).made
    return made


def posted(data: dict[str, Any], revision: int) -> dict[str, Any]:
    """A monitoring report's JSON as the form posts it."""
    out: dict[str, Any] = {"revision": str(revision), "funds_reason": data["funds"]["reason"]}
    for name, _ in FUNDS_ROWS:
        for column, _ in FUNDS_COLUMNS:
            value = data["funds"][name][column]
            out[f"funds_{name}_{column}"] = "" if value is None else str(value)
    for name in TASK_FIELDS:
        out[f"task_{name}"] = ["" if t[name] is None else str(t[name]) for t in data["tasks"]]
    for name in INDICATOR_TEXTS:
        out[f"ind_{name}"] = ["" if r[name] is None else str(r[name]) for r in data["indicators"]]
    for number, row in enumerate(data["indicators"], 1):
        for flag in ("year_end", "stock"):
            if row[flag]:
                out[f"ind_{flag}_{number}"] = "1"
        if row["causes"]:
            out[f"ind_causes_{number}"] = row["causes"]
    out["problems"], out["next_steps"] = data["problems"], data["next_steps"]
    return out


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_warns_live_and_asks_for_causes(opened: Filing, people: dict[str, User]) -> None:
    filer = _client(people["filer"])
    page = filer.get(reverse("monitoring-edit", args=[opened.pk]))
    assert page.status_code == 200
    assert "<script>" not in page.content.decode()  # CSP: scripts only from files
    data = on_track(MonitoringReport.model_validate(opened.data))
    data["indicators"][0]["to_date"] = "0"  # far behind: red, causes and measures required
    data["indicators"][0]["likelihood"] = "有可能"
    answer = filer.post(reverse("monitoring-check", args=[opened.pk]), posted(data, opened.revision)).json()
    assert answer["warnings"]["rows"][0]["word"] == "红"
    assert answer["warnings"]["rows"][0]["colour"] == "red"
    assert answer["warnings"]["department"]["word"] == "红"
    assert answer["asked"] == [1]
    codes = {(i["code"], i["location"]["section"], i["location"].get("row")) for i in answer["issues"]}
    assert ("monitor-cause-missing", "indicators", 1) in codes
    # An amount it cannot read: refused, what was typed shown again.
    bad = posted(data, opened.revision) | {"funds_total_executed": "很多"}
    refused = filer.post(reverse("monitoring-edit", args=[opened.pk]), bad)
    assert refused.status_code == 400
    assert "很多" in refused.content.decode()
    # Saved with the cause and measure: no error; submitted.
    data["indicators"][0]["causes"] = ["经费保障"]
    data["indicators"][0]["cause_note"] = "上半年检查经费尚未下达，检查推迟到下半年。"
    data["indicators"][0]["measures"] = "经费下达后集中开展检查。"
    saved = filer.post(
        reverse("monitoring-edit", args=[opened.pk]), posted(data, opened.revision) | {"submit": "1"}
    )
    assert saved.status_code == 302
    opened.refresh_from_db()
    assert (opened.errors, opened.status) == (0, Status.SUBMITTED)
    assert opened.data["indicators"][0]["causes"] == ["经费保障"]
    shown = filer.get(reverse("monitoring-detail", args=[opened.pk])).content.decode()
    assert re.search(r'class="warning-red"[^>]*>红<', shown)


def test_the_bureau_returns_with_a_row_comment_then_accepts(
    opened: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    data = on_track(MonitoringReport.model_validate(opened.data))
    saved, _ = monitoring.save(actor("filer"), opened, monitoring.merged(opened, data), opened.revision)
    services.submit(actor("filer"), saved)
    reviewer = _client(people["reviewer"])
    page = reviewer.get(reverse("monitoring-detail", args=[saved.pk]))
    assert page.status_code == 200
    assert "审核确认" in page.content.decode()
    url = reverse("monitoring-decide", args=[saved.pk])
    reviewer.post(url, {"decision": "return", "reviewed": "1"})
    saved.refresh_from_db()
    assert saved.status == Status.SUBMITTED  # a return needs a comment
    reviewer.post(url, {"decision": "return", "reviewed": "1", "comment:indicators:2": "请说明完成值的来源"})
    saved.refresh_from_db()
    assert saved.status == Status.RETURNED
    assert list(Comment.objects.values_list("section", "row")) == [("indicators", 2)]
    services.submit(actor("filer"), saved)
    reviewer.post(url, {"decision": "accept", "reviewed": "2"})
    saved.refresh_from_db()
    assert saved.status == Status.ACCEPTED


def test_the_department_finds_its_report_and_the_bureau_its_review(
    opened: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    home = _client(people["filer"]).get(reverse("home")).content.decode()
    assert reverse("monitoring-edit", args=[opened.pk]) in home
    rounds = _client(people["reviewer"]).get(reverse("monitoring-rounds")).content.decode()
    assert reverse("monitoring-detail", args=[opened.pk]) not in rounds  # a draft: not received
    data = on_track(MonitoringReport.model_validate(opened.data))
    saved, _ = monitoring.save(actor("filer"), opened, monitoring.merged(opened, data), opened.revision)
    services.submit(actor("filer"), saved)
    rounds = _client(people["reviewer"]).get(reverse("monitoring-rounds")).content.decode()
    assert f'href="{reverse("monitoring-detail", args=[opened.pk])}">审核<' in rounds


def test_the_round_page_names_its_choices_in_chinese_and_keeps_a_refused_profile(
    opened: Filing, people: dict[str, User]
) -> None:
    """tour: the profile variants were shown by their library names (linear, symmetric), a pasted
    profile's error called it 评分设定, and the funds' column was headed 1–m月执行数."""
    reviewer = _client(people["reviewer"])
    page = reviewer.get(reverse("monitoring-rounds"), {"year": YEAR}).content.decode()
    options = dict(re.findall(r'<option[^>]* value="([^"]+)">([^<]+)</option>', page))
    assert set(VARIANTS) <= set(options)
    assert "线性扣分" in options["linear"]
    assert "偏离" in options["symmetric"]
    pasted = '{"base": "默认", "budget_warning": {"red": "abc"}}'
    refused = reviewer.post(
        reverse("monitoring-rounds"),
        {"year": str(YEAR), "month": "7", "variant": "linear", "profile": pasted, "deadline": "2024-08-15"},
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "监控设定" in text
    assert "评分设定" not in text
    assert re.search(r'<option selected value="linear">', text)
    assert "budget_warning" in text  # the pasted text is kept
    filer = _client(people["filer"])
    form = filer.get(reverse("monitoring-edit", args=[opened.pk])).content.decode()
    assert "1–7月执行数" in form
    assert "1–m月" not in form
