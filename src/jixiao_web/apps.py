from __future__ import annotations

from django.apps import AppConfig


class JixiaoWebConfig(AppConfig):
    default = True  # apps.py also holds TwoFactorConfig
    name = "jixiao_web"
    verbose_name = "绩效目标填报与审核"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        post_migrate.connect(_guard_append_only, sender=self)
        connection_created.connect(_private_sqlite)


def _guard_append_only(using: str = "default", **kwargs: object) -> None:
    """After every migration: a migration that rebuilt a table on SQLite dropped its triggers."""
    from django.db import connections

    from jixiao_web import append_only

    append_only.install(connections[using])


def _private_sqlite(connection: object, **kwargs: object) -> None:
    """A SQLite database (and its journals, which SQLite makes with the database's mode) readable by
    its owner only: it holds session keys, with which anyone could sign in as anyone."""
    import os
    from pathlib import Path

    if getattr(connection, "vendor", None) != "sqlite":
        return
    name = str(getattr(connection, "settings_dict", {}).get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), *(Path(name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            continue


class TwoFactorConfig(AppConfig):
    """django-otp's TOTP devices, named in Chinese in the admin (the pages are jixiao_web's)."""

    name = "django_otp.plugins.otp_totp"
    label = "otp_totp"
    verbose_name = "两步验证"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        model = self.get_model("TOTPDevice")
        model._meta.verbose_name = model._meta.verbose_name_plural = "两步验证设备"


class TaskQueueConfig(AppConfig):
    """django-tasks-db's queue of background jobs (reminder mails), named in Chinese in the admin
    (its own names, “Tasks Database Backend” and “Task Results”, are English only)."""

    name = "django_tasks_db"
    label = "django_tasks_database"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from django_tasks_db import signal_handlers  # noqa: F401  (what the package's own config does)

        model = self.get_model("DBTaskResult")
        model._meta.verbose_name = model._meta.verbose_name_plural = "任务记录"
