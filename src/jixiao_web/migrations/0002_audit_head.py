from __future__ import annotations

from typing import Any

from django.db import migrations


def create_head(apps: Any, schema_editor: Any) -> None:
    # The one row appends lock; made here so that two first appends cannot both insert it.
    apps.get_model("jixiao_web", "AuditHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )


class Migration(migrations.Migration):
    dependencies = [("jixiao_web", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
