from __future__ import annotations

from django.apps import AppConfig


class JixiaoWebConfig(AppConfig):
    default = True  # apps.py also holds TwoFactorConfig
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


class TwoFactorConfig(AppConfig):
    """django-otp's TOTP devices, named in Chinese in the admin (the pages are jixiao_web's)."""

    name = "django_otp.plugins.otp_totp"
    label = "otp_totp"
    verbose_name = "两步验证"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        model = self.get_model("TOTPDevice")
        model._meta.verbose_name = model._meta.verbose_name_plural = "两步验证设备"
