from __future__ import annotations

from typing import Any

from django.db import migrations

from jixiao_web import append_only


def install(apps: Any, schema_editor: Any) -> None:
    append_only.install(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("jixiao_web", "0004_reached_finance")]
    operations = [migrations.RunPython(install, remove)]
