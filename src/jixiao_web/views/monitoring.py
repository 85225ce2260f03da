"""The monitoring round's pages (绩效运行监控): the finance bureau opens a year's round (month,
profile, deadline) and sees every department's report with its warnings (colour and word).

The workflow steps are the shared ones (:func:`jixiao_web.services.transition`); what a
monitoring report is and how a round is opened lives in :mod:`jixiao_web.monitoring`.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from jixiao.profile import VARIANTS
from jixiao_web import monitoring, selfeval
from jixiao_web.access import is_finance
from jixiao_web.models import MonitoringRound
from jixiao_web.views.common import actor_of


def _deadline(text: str) -> datetime | None:
    """A typed 提交截止日期 (YYYY-MM-DD), at the end of that day; None when it is no date."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """绩效运行监控: the finance bureau opens a year's round (as of a month, profile, deadline) and
    sees every department's monitoring report of it: status, warnings, lateness."""
    if not is_finance(request.user):
        raise Http404("只有财政局可以管理绩效运行监控。")
    years = sorted(set(MonitoringRound.objects.values_list("year", flat=True)), reverse=True)
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdecimal() and len(asked) <= 4 else (years[0] if years else None)
    context: dict[str, Any] = {
        "variants": list(VARIANTS),
        "months": list(monitoring.MONTHS),
        "rounds": MonitoringRound.objects.all(),
        "year": year,
    }
    if request.method == "POST":
        typed = {k: request.POST.get(k, "") for k in ("year", "month", "variant", "profile", "deadline")}
        context["typed"] = typed
        try:
            chosen = int(typed["year"]) if typed["year"].isdecimal() and len(typed["year"]) == 4 else None
            month = int(typed["month"]) if typed["month"].isdecimal() and len(typed["month"]) <= 2 else None
            deadline = _deadline(typed["deadline"])
            if chosen is None:
                raise monitoring.RoundError("请填写年度（四位数字）。")
            if month is None:
                raise monitoring.RoundError("请选择监控截至月份（1至11月）。")
            if deadline is None:
                raise monitoring.RoundError("请填写提交截止日期（如 2024-08-15）。")
            profile = selfeval.profile_named(typed["variant"], typed["profile"])
            opened = monitoring.open_round(actor_of(request), chosen, month, profile, deadline)
        except (monitoring.RoundError, selfeval.RoundError) as error:
            context["error"] = str(error)
            return render(request, "jixiao_web/monitoring_rounds.html", context, status=400)
        made = "、".join(str(f.department) for f in opened.made) or "没有新的部门"
        messages.success(
            request,
            f"已开启{chosen}年度绩效运行监控（截至{month}月，设定：{profile.name}）；新生成监控表：{made}。",
        )
        return redirect(f"{reverse('monitoring-rounds')}?year={chosen}")
    if year is not None:
        context["rows"] = monitoring.round_rows(request.user, year)
        context["current"] = monitoring.round_of(year)
    return render(request, "jixiao_web/monitoring_rounds.html", context)
