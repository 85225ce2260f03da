"""Reading the web system's pages as a browser would: the edit form's fields as it would post them,
a table written out as that form, the findings listed on a page, a textarea's text.  Shared by the
web tests."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

from django.http import HttpResponse

from jixiao.model import TargetTable
from jixiao_web.models import AuditEntry, Comment, Filing, Version


class _FormFields(HTMLParser):
    """The fields a browser would submit from ``<form id=...>`` (inputs, textareas, selects)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: list[str] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self._in_form = True
        # A field's form="…" attribute names its form wherever the field stands.
        owner = a.get("form")
        if not (self._in_form if owner is None else owner == self.form_id):
            return
        name = a.get("name")
        if "disabled" in a or (a.get("type") in ("checkbox", "radio") and "checked" not in a):
            name = None  # not posted
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], self._textarea[1]))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            self._options.append((text if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[-1]))
            self._select = None


def form_fields(response: HttpResponse, form_id: str = "table-form") -> dict[str, list[str]]:
    """The edit form of ``response`` as a browser would post it: name → values in page order."""
    return fields_of_html(response.content.decode(), form_id)


def fields_of_html(html: str, form_id: str = "table-form") -> dict[str, list[str]]:
    """The fields of ``<form id=form_id>`` in ``html`` as a browser would post them."""
    parser = _FormFields(form_id)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def table_form(
    table: TargetTable, revision: int, row_keys: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """``table`` as the edit form posts it, written out independently of ``jixiao_web.tableform``
    (with the rows' keys, hidden fields, when given): an optional field the table has is switched
    on (``show``), a row's text it lacks in a shown column is named in the row's ``…_absent``."""

    def text(value: object) -> str:
        return "" if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)

    data: dict[str, Any] = {"revision": str(revision)}
    shown: list[str] = []
    for name, value in (
        ("title", table.title),
        ("overall_goal", table.overall_goal),
        ("duties", table.duties),
        ("long_term_goal", table.long_term_goal),
    ):
        if value is not None:
            data[name] = value
            shown += [name] if name in ("duties", "long_term_goal") else []
    data |= {f"department_{k}": text(getattr(table.department, k)) for k in _DEPARTMENT}
    data |= {f"budget_{k}": text(getattr(table.budget, k)) for k in _BUDGET}
    if table.budget.total_expenditure is not None:
        data["budget_total_expenditure"] = text(table.budget.total_expenditure)
        shown.append("budget_total_expenditure")
    for prefix, rows, names, optional in (
        ("task", table.tasks, ("kind", "name", "content", "amount"), ("expected_outcome",)),
        (
            "ind",
            table.indicators,
            ("level1", "level2", "name", "explanation", "comparator", "value", "unit"),
            ("weight", "value_type", "scoring_standard"),
        ),
    ):
        columns = [name for name in optional if any(getattr(row, name) is not None for row in rows)]
        shown += [f"{prefix}_{name}" for name in columns]
        for name in (*names, *columns):
            data[f"{prefix}_{name}"] = [text(getattr(row, name)) for row in rows]
        nullable = [n for n in (*names, *columns) if n not in ("weight", "amount")]
        data[f"{prefix}_absent"] = [" ".join(n for n in nullable if getattr(row, n) is None) for row in rows]
    if shown:
        data["show"] = shown
    if row_keys is not None:
        data["task_key"], data["ind_key"] = row_keys["tasks"], row_keys["indicators"]
    return data


_DEPARTMENT = ("name", "competent_department", "staff_count", "subordinate_unit_count")
_BUDGET = ("basic_expenditure", "project_expenditure", "fiscal_appropriation", "other_funds")


def stored(filing: Filing) -> TargetTable:
    filing.refresh_from_db()
    return TargetTable.model_validate(filing.data)


def counts() -> tuple[int, ...]:
    return (
        Filing.objects.count(),
        Version.objects.count(),
        Comment.objects.count(),
        AuditEntry.objects.count(),
    )


def issues_at(response: HttpResponse) -> set[tuple[str, str, str, str]]:
    """(code, section, row, field) of every finding listed on the page."""
    found = re.findall(
        r'<li class="\w+" data-section="([^"]*)" data-row="([^"]*)" data-field="([^"]*)" data-code="([^"]+)"',
        response.content.decode(),
    )
    return {(code, section, row, field) for section, row, field, code in found}


def textarea(html: str, name: str) -> str | None:
    """The text of the textarea called ``name`` in a page, unescaped; None when there is none."""
    found = re.search(rf'<textarea name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    return unescape(found.group(1)) if found else None
