"""What the documents made FROM an approved target table (a self-evaluation, a monitoring report)
share when a department saves one: the working copy stored with its counts, and an audit entry
naming each changed field in Chinese.  Each kind checks its own guards first (who may save, the
copied parts unchanged, the revision) and hands the rest here."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from jixiao.findings import Report, Severity
from jixiao_web import audit
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, Filing


def counts(report: Report) -> tuple[int, int]:
    """The errors and warnings a filing keeps beside its working copy."""
    return report.count(Severity.ERROR), report.count(Severity.WARNING)


def flat(value: Any, path: str = "") -> dict[str, Any]:
    """A document's JSON as ``{"indicators[2].actual": "9", …}``, to tell which fields changed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flat(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value, 1):
            out.update(flat(item, f"{path}[{index}]"))
        return out
    return {path: value}


def labelled(path: str, labels: dict[str, str]) -> str:
    """A flat path in Chinese: ``indicators[2].actual`` → ``指标2·实际完成值``."""
    parts = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        label = labels.get(name, name)
        parts.append(f"{label}{index.rstrip(']')}" if index else label)
    return "·".join(parts)


def store(
    actor: Actor, current: Filing, data: dict[str, Any], report: Report, labels: dict[str, str]
) -> Filing:
    """Store ``data`` as the working copy of ``current`` (locked by the caller, its guards passed)
    with ``report``'s counts, and record the changed fields; nothing changed, nothing stored."""
    old, new = flat(current.data), flat(data)
    changed = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
    if changed:
        errors, warnings = counts(report)
        Filing.objects.filter(pk=current.pk).update(
            data=data,
            revision=F("revision") + 1,
            errors=errors,
            warnings=warnings,
            updated_by=actor.user,
            updated_at=timezone.now(),
        )
        audit.record(
            actor,
            AuditAction.SAVE,
            filing=current,
            before={labelled(p, labels): old.get(p) for p in changed},
            after={labelled(p, labels): new.get(p) for p in changed},
        )
        current.refresh_from_db()
    return current
