from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import migrations, models


def seal_head(apps: Any, schema_editor: Any) -> None:
    """Seal the existing head with the audit key (``audit.head_mac``; spelled out here so that
    this migration stays as it is)."""
    for head in apps.get_model("jixiao_web", "AuditHead").objects.all():
        message = f"jixiao-audit-head:{head.seq}:{head.hash}".encode()
        head.mac = hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()
        head.save(update_fields=["mac"])


class Migration(migrations.Migration):
    dependencies = [("jixiao_web", "0002_first_rows")]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(seal_head, migrations.RunPython.noop),
    ]
