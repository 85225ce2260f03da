"""The admin site, for 管理员: departments, people, years and the city's settings.

Every change made here is written to the audit log (who, when, from where, the fields before and
after).  Filings and the audit log are read-only here: filings change only through the services,
and the admin lists only the filings ``access.restrict`` lets the administrator see, without their
tables.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from jixiao_web import audit
from jixiao_web.access import Action, restrict
from jixiao_web.models import AuditEntry, City, Department, Filing, FilingYear, StockPhrase, User
from jixiao_web.selectors import DEPARTMENT_ONLY_ACTIONS
from jixiao_web.views.common import actor_of

#: Fields not worth a history line: set by Django itself on every log-in or at creation.
UNAUDITED_FIELDS = frozenset({"last_login", "date_joined"})


def _secret(name: str) -> bool:
    """A password field (the user form's ``password``, ``password1``, ``password2`` …)."""
    return "password" in name


class Audited(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records every add, change and delete made in the admin in the audit log: the fields
    changed, before and after (never a password: only that it was set)."""

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        stored = (
            type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk is not None else None
        )
        super().save_model(request, obj, form, change)
        names = [n for n in form.changed_data if not _secret(n) and n not in UNAUDITED_FIELDS]
        before = {name: _plain(getattr(stored, name, None)) for name in names} if stored is not None else {}
        after = {name: _plain(form.cleaned_data.get(name)) for name in names}
        if any(_secret(n) for n in form.changed_data):
            after["密码"] = "已设置"
        action = "admin_change" if change else "admin_add"
        audit.record(actor_of(request), action, target=_target(obj), before=before, after=after)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        target = _target(obj)
        super().delete_model(request, obj)
        audit.record(actor_of(request), "admin_delete", target=target)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The list's "delete selected" action: one entry per object deleted."""
        targets = [_target(obj) for obj in queryset]
        super().delete_queryset(request, queryset)
        for target in targets:
            audit.record(actor_of(request), "admin_delete", target=target)


def _target(obj: Model) -> str:
    return f"{obj._meta.verbose_name}“{obj}”"[:200]


def _plain(value: Any) -> Any:
    """A form or database value as JSON: model instances by name, dates and the rest as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, QuerySet | list | tuple | set):
        return [str(item) for item in value]
    if hasattr(value, "all") and callable(value.all):  # a many-to-many manager
        return [str(item) for item in value.all()]
    return str(value)


@admin.register(City)
class CityAdmin(Audited):
    list_display = ("name", "head_approval_required")


@admin.register(Department)
class DepartmentAdmin(Audited):
    list_display = ("name", "code", "competent_department", "is_finance_bureau")
    search_fields = ("name", "code")


@admin.register(FilingYear)
class FilingYearAdmin(Audited):
    list_display = ("year", "deadline", "is_open")


@admin.register(StockPhrase)
class StockPhraseAdmin(Audited):
    """review: 常用审核意见, offered in every comment box of the review page."""

    list_display = ("text", "order")
    list_editable = ("order",)
    search_fields = ("text",)


@admin.register(User)
class JixiaoUserAdmin(Audited, UserAdmin):  # type: ignore[type-arg]
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Setting someone's password is recorded (that it was set, by whom; never the password)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.filter(pk=id).first()
            if user is not None:
                audit.record(
                    actor_of(request), "admin_change", target=_target(user), after={"密码": "已重设"}
                )
        return response

    list_display = ("username", "full_name", "department", "role", "is_active")
    list_filter = ("role", "department", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("所属部门与角色", {"fields": ("full_name", "department", "role")}),
    )


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Filing)
class FilingAdmin(ReadOnly):
    # Nothing of the working copy: the bureau sees what reached it, in the review pages.
    list_display = ("department", "year", "status", "grade", "published_at")
    list_filter = ("year", "status")
    fields = (
        "department",
        "year",
        "status",
        "grade",
        "received_version",
        "published_version",
        "published_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        return restrict(request.user, Action.VIEW, super().get_queryset(request))


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("seq", "at", "actor_name", "address", "action", "target")
    list_filter = ("action",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        """The same history the pages show the finance bureau: not a department's own work."""
        return super().get_queryset(request).exclude(action__in=DEPARTMENT_ONLY_ACTIONS)
