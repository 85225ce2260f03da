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
from django.contrib.auth.forms import AdminPasswordChangeForm, UserCreationForm
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.models import TOTPDevice

from jixiao_web import audit
from jixiao_web.access import Action, restrict
from jixiao_web.models import (
    AuditAction,
    AuditEntry,
    City,
    Department,
    Filing,
    FilingYear,
    Job,
    Reminder,
    Role,
    StockPhrase,
    User,
)
from jixiao_web.selectors import DEPARTMENT_ONLY_ACTIONS
from jixiao_web.views.common import actor_of

#: Fields not worth a history line: set by Django itself on every log-in or at creation.
UNAUDITED_FIELDS = frozenset({"last_login", "date_joined"})


def _secret(name: str) -> bool:
    """A password field (the user form's ``password``, ``password1``, ``password2`` …)."""
    return "password" in name


def _yes_no(value: bool) -> str:
    """A yes/no column in words (Django's icons are labelled "True" and "False")."""
    return "是" if value else "否"


class Audited(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records every add, change and delete made in the admin in the audit log: the fields
    changed, before and after (never a password: only that it was set)."""

    # The search box's icon in Chinese too (Django's own is labelled "Search").
    change_list_template = "jixiao_web/admin/change_list.html"

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
        action = AuditAction.ADMIN_CHANGE if change else AuditAction.ADMIN_ADD
        audit.record(actor_of(request), action, target=_target(obj), before=before, after=after)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        target = _target(obj)
        super().delete_model(request, obj)
        audit.record(actor_of(request), AuditAction.ADMIN_DELETE, target=target)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The list's "delete selected" action: one entry per object deleted."""
        targets = [_target(obj) for obj in queryset]
        super().delete_queryset(request, queryset)
        for target in targets:
            audit.record(actor_of(request), AuditAction.ADMIN_DELETE, target=target)


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
    list_display = ("name", "head_approval", "bureau_two_factor")

    @admin.display(description="部门负责人先审核", ordering="head_approval_required")
    def head_approval(self, obj: City) -> str:
        return _yes_no(obj.head_approval_required)

    @admin.display(description="财政局角色须使用两步验证", ordering="bureau_two_factor_required")
    def bureau_two_factor(self, obj: City) -> str:
        return _yes_no(obj.bureau_two_factor_required)


@admin.register(Department)
class DepartmentAdmin(Audited):
    list_display = ("name", "code", "competent_department", "finance_bureau")
    search_fields = ("name", "code")

    @admin.display(description="财政局", ordering="is_finance_bureau")
    def finance_bureau(self, obj: Department) -> str:
        return _yes_no(obj.is_finance_bureau)


@admin.register(FilingYear)
class FilingYearAdmin(Audited):
    list_display = ("year", "deadline", "open")

    @admin.display(description="开放填报", ordering="is_open")
    def open(self, obj: FilingYear) -> str:
        return _yes_no(obj.is_open)


class NewUserForm(UserCreationForm):  # type: ignore[type-arg]
    """A new person: name, department and role on the first page, and a password (no
    "password-less" choice: everyone here signs in with one)."""

    class Meta:
        model = User
        fields = ("username", "full_name", "department", "role")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("full_name", "department", "role"):
            self.fields[name].required = True


class PasswordForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """Setting someone's password; not the choice of taking their password away."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True


@admin.register(StockPhrase)
class StockPhraseAdmin(Audited):
    """review: 常用审核意见, offered in every comment box of the review page."""

    list_display = ("text", "order")
    list_editable = ("order",)
    search_fields = ("text",)


@admin.register(User)
class JixiaoUserAdmin(Audited, UserAdmin):  # type: ignore[type-arg]
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Setting someone's password is recorded (that it was set, by whom; never the password);
        they must change it at their next log-in (accounts), and their API tokens die."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.filter(pk=id).first()
                if user is not None:
                    after: dict[str, Any] = {"密码": "已重设"}
                    if user.pk != request.user.pk:
                        User.objects.filter(pk=user.pk).update(must_change_password=True)
                        after["须修改密码"] = True
                    audit.record(
                        actor_of(request), AuditAction.ADMIN_CHANGE, target=_target(user), after=after
                    )
        return response

    list_display = ("username", "full_name", "department", "role", "active")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "full_name")
    add_form = NewUserForm
    change_password_form = PasswordForm
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "department", "role", "password1", "password2")}),
    )
    # The role decides what a person may do (jixiao_web.access): no Django groups or permissions.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("姓名与所属部门", {"fields": ("full_name", "department", "role", "email")}),
        ("账号状态", {"fields": ("is_active", "must_change_password", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    @admin.display(description="有效", ordering="is_active")
    def active(self, obj: User) -> str:
        return _yes_no(obj.is_active)

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool) -> None:
        """The 管理员 role, and only it, opens the admin site (as for ``createsuperuser``); a
        password the administrator chose (a new user's) must be changed at first log-in."""
        if isinstance(obj, User):
            obj.is_staff = obj.is_superuser = obj.role == Role.ADMIN
            if (
                obj.pk != request.user.pk
                and obj.has_usable_password()
                and any(_secret(name) for name in form.changed_data)
            ):
                obj.must_change_password = True
        super().save_model(request, obj, form, change)


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


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    """reminders: every e-mail written, whether it went out, and the last error if not."""

    list_display = (
        "created_at",
        "reason",
        "kind",
        "year",
        "department",
        "address",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "reason", "kind", "year")
    search_fields = ("address", "subject")
    fields = (
        "reason",
        "kind",
        "year",
        "department",
        "recipient",
        "address",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )


@admin.register(Job)
class JobAdmin(ReadOnly):
    """queue: every background job, its state and attempts, and why it failed (the traceback is in
    django-tasks' task results)."""

    list_display = ("created_at", "kind", "state", "user", "filing", "input_name", "attempts", "finished_at")
    list_filter = ("state", "kind")
    search_fields = ("input_name", "error")
    fields = (
        "kind",
        "state",
        "user",
        "filing",
        "input_name",
        "params",
        "attempts",
        "error",
        "task_id",
        "created_at",
        "finished_at",
    )


class ActionFilter(admin.SimpleListFilter):
    """The actions by their Chinese names (the field stores the stable English values)."""

    title = "操作"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (value, label) for value, label in AuditAction.choices if value not in DEPARTMENT_ONLY_ACTIONS
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("seq", "at", "actor_name", "address", "action_name", "target")
    list_filter = (ActionFilter,)
    fields = (
        "seq",
        "at",
        "actor",
        "actor_name",
        "address",
        "action_name",
        "filing",
        "target",
        "before",
        "after",
        "previous_hash",
        "hash",
    )

    @admin.display(description="操作", ordering="action")
    def action_name(self, obj: AuditEntry) -> str:
        return AuditAction.label_of(obj.action)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        """The same history the pages show the finance bureau: not a department's own work."""
        return super().get_queryset(request).exclude(action__in=DEPARTMENT_ONLY_ACTIONS)


# --- accounts: a user's second factor, deleted here when a phone is lost (never shown or made) -----
if admin.site.is_registered(TOTPDevice):  # django-otp's own admin shows the secret key
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(Audited):
    list_display = ("user", "enabled_at", "confirmed")
    search_fields = ("user__username", "user__full_name")
    fields = ("user", "confirmed")
    readonly_fields = ("user", "confirmed")

    @admin.display(description="启用时间")
    def enabled_at(self, device: TOTPDevice) -> Any:
        return device.created_at

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
