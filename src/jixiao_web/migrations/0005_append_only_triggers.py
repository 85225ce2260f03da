from __future__ import annotations

from typing import Any

from django.db import migrations

from jixiao_web import append_only

#: The append-only tables as this migration found them (later ones add theirs).
TABLES = ("jixiao_web_auditentry", "jixiao_web_version", "jixiao_web_comment")


def install(apps: Any, schema_editor: Any) -> None:
    append_only.install(schema_editor.connection, TABLES)


def remove(apps: Any, schema_editor: Any) -> None:
    append_only.remove(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("jixiao_web", "0004_reached_finance")]
    operations = [migrations.RunPython(install, remove)]
