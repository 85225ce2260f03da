from __future__ import annotations

from typing import Any

from django.db import migrations


def first_rows(apps: Any, schema_editor: Any) -> None:
    """The audit chain's head (appends lock it, so two first appends cannot both make it) and the
    city's settings row; the append-only triggers come with every migrate (``apps.py``)."""
    apps.get_model("jixiao_web", "AuditHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )
    city = apps.get_model("jixiao_web", "City")
    if not city.objects.exists():
        city.objects.create(name="本市")


class Migration(migrations.Migration):
    dependencies = [("jixiao_web", "0001_initial")]
    operations = [migrations.RunPython(first_rows, migrations.RunPython.noop)]
