"""``allowed_actions`` (one query for a page's buttons) agrees with ``allowed`` (one action)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from jixiao.model import TargetTable
from jixiao_web import services
from jixiao_web.access import Action, allowed, allowed_actions
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, User
from jixiao_web.views.filing import HISTORY_SHOWN


def _agree(filing: Filing, people: dict[str, User]) -> None:
    filing.refresh_from_db()  # allowed_actions judges the row as loaded, as a page loads it
    for user in [AnonymousUser(), *people.values()]:
        expected = {action for action in Action if allowed(user, action, filing)}
        assert allowed_actions(user, filing) == expected, (user, filing.status)


def test_allowed_actions_agrees_with_allowed_in_every_state(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    _agree(draft, people)
    services.submit(actor("filer"), draft)
    _agree(draft, people)
    services.approve(actor("reviewer"), draft, "良")
    _agree(draft, people)
    services.publish(actor("reviewer"), draft)
    draft.refresh_from_db()
    _agree(draft, people)


def test_filing_page_shows_recent_history_and_all_on_request(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    table = TargetTable.model_validate(draft.data)
    for n in range(HISTORY_SHOWN + 5):
        table.overall_goal = f"第{n}次修改"
        draft, _ = services.save_draft(actor("filer"), draft, table, draft.revision)
    client = login(people["filer"])
    recent = client.get(f"/filings/{draft.pk}/")
    assert len(recent.context["history"]) == HISTORY_SHOWN
    assert recent.context["history_count"] == HISTORY_SHOWN + 6  # the start and every save
    everything = client.get(f"/filings/{draft.pk}/?history=all")
    assert len(everything.context["history"]) == HISTORY_SHOWN + 6


@pytest.mark.django_db(transaction=False)
def test_the_rules_evaluated_on_a_row_agree_with_the_database_everywhere(tmp_path: Path) -> None:
    """``allowed_actions`` evaluates the rules on the loaded row (``access.matches``); the database
    decides the same, for every person of the demo city, every document of every kind and state
    and every action (with the person who submitted each, and anonymous, among them)."""
    from jixiao_web import demo
    from jixiao_web.access import restrict

    assert demo.load(tmp_path)
    filings = list(Filing.objects.all())
    people: list[User | AnonymousUser] = [*User.objects.all(), AnonymousUser()]
    assert len({(f.kind, f.status) for f in filings}) >= 10
    compared = 0
    for person in people:
        for filing in filings:
            database = {
                action
                for action in Action
                if restrict(person, action, Filing.objects.filter(pk=filing.pk)).exists()
            }
            assert allowed_actions(person, filing) == database, (person, filing, filing.status)
            compared += len(Action)
    assert compared >= 1000
