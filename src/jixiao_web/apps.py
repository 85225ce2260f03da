from __future__ import annotations

from django.apps import AppConfig


class JixiaoWebConfig(AppConfig):
    name = "jixiao_web"
    verbose_name = "绩效目标填报与审核"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jixiao_web import access

        access.register_permissions()
