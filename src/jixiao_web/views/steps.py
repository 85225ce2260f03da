"""The department's workflow commands, one view each whatever the document's kind: submit and
withdraw (撤回).  The addresses of every kind name the same views here with their ``kind``
(``filings/<pk>/submit/`` a target table's, ``selfeval/<pk>/submit/`` a self-evaluation's, …); the
transition itself, its checks and its words are the workflow table's
(:func:`jixiao_web.services.transition`).

The bureau's decisions are on the review page (``views.review``: 退回, 审核通过, 发布, confirmed
first) and, for a monitoring report, which has no review page, on its own page
(``views.monitoring.decide``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from jixiao_web import selectors, services
from jixiao_web.access import Action
from jixiao_web.models import Filing, Kind, Opened
from jixiao_web.views.common import actor_of, filing_of_kind


@dataclass(frozen=True, slots=True)
class Pages:
    """Where a kind's pages are: its address names' prefix (``filing-edit``, ``selfeval-detail``),
    and which page a withdrawn document opens on."""

    prefix: str
    withdrawn_to: str = "detail"


PAGES: Final = {
    Kind.TARGET: Pages("filing", withdrawn_to="edit"),
    Kind.SELFEVAL: Pages("selfeval"),
    Kind.MONITORING: Pages("monitoring"),
}


def _page(filing: Filing, page: str) -> HttpResponse:
    return redirect(f"{PAGES[Kind(filing.kind)].prefix}-{page}", pk=filing.pk)


def opened(filing: Filing) -> Opened | None:
    """When the finance bureau opened the version now waiting for it (then it cannot be
    withdrawn)."""
    version = selectors.latest_version(filing)
    return Opened.objects.filter(version=version).first() if version is not None else None


def submitted(request: HttpRequest, filing: Filing) -> HttpResponse:
    """Submit ``filing`` (from its page, or its form once saved): back to the form when its errors
    block it, else to its page with the workflow's message."""
    try:
        taken = services.transition(actor_of(request), filing, "submit")
    except services.NotSubmittable as error:
        messages.error(request, str(error))
        return _page(filing, "edit")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return _page(filing, "detail")
    assert taken.version is not None
    messages.success(request, taken.transition.done.format(number=taken.version.number))
    return _page(filing, "detail")


@login_required
@require_POST
def submit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return submitted(request, filing_of_kind(request, pk, Action.VIEW, kind))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """撤回: the department takes back a submission nobody has started reviewing."""
    filing = filing_of_kind(request, pk, Action.VIEW, kind)
    try:
        taken = services.transition(actor_of(request), filing, "withdraw")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return _page(filing, "detail")
    assert taken.version is not None
    messages.success(request, taken.transition.done.format(number=taken.version.number))
    return _page(filing, PAGES[Kind(filing.kind)].withdrawn_to)
