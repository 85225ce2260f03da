"""The admin site, for 管理员: departments, people, years and the city's settings.

Filings, versions and the audit log are read-only here: they change only through the services,
which record every change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from jixiao_web.models import AuditEntry, City, Department, Filing, FilingYear, User


@admin.register(City)
class CityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "head_approval_required")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "code", "competent_department", "is_finance_bureau")
    search_fields = ("name", "code")


@admin.register(FilingYear)
class FilingYearAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("year", "deadline", "is_open")


@admin.register(User)
class JixiaoUserAdmin(UserAdmin):  # type: ignore[type-arg]
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
    list_display = ("department", "year", "status", "errors", "warnings", "grade", "updated_at")
    list_filter = ("year", "status")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("seq", "at", "actor_name", "address", "action", "target")
    list_filter = ("action",)
