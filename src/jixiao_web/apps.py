from __future__ import annotations

from django.apps import AppConfig


class JixiaoWebConfig(AppConfig):
    name = "jixiao_web"
    verbose_name = "绩效目标填报与审核"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_guard_append_only, sender=self)


def _guard_append_only(using: str = "default", **kwargs: object) -> None:
    """After every migration: a migration that rebuilt a table on SQLite dropped its triggers."""
    from django.db import connections

    from jixiao_web import append_only

    append_only.install(connections[using])
