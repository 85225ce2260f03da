"""Template filters for the pages."""

from __future__ import annotations

from django import template

from jixiao.findings import Severity
from jixiao_web import audit
from jixiao_web.models import AuditAction
from jixiao_web.wording import place_of, variant_label

register = template.Library()


register.filter("place", place_of)
register.filter("variant", variant_label)


@register.filter
def action_label(action: str) -> str:
    return AuditAction.label_of(action)


@register.inclusion_tag("jixiao_web/_chain_head.html")
def chain_head() -> dict[str, object]:
    """The latest head of the audit chain, for the public to hold the bureau to (a transparency log)."""
    return {"head": audit.checkpoint()}


@register.filter
def severity_label(severity: str) -> str:
    """错误 / 警告 / 提示, as the library names its severities."""
    return Severity(severity).label
