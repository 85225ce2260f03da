"""Template filters for the pages."""

from __future__ import annotations

from django import template

from jixiao.findings import SECTION_TITLES

register = template.Library()

ACTIONS = {
    "start": "创建",
    "save": "保存",
    "submit": "提交",
    "head_approve": "部门负责人审核通过",
    "head_return": "部门负责人退回",
    "return": "财政局退回修改",
    "approve": "财政局审核通过",
    "publish": "发布",
    "login": "登录",
    "token_create": "创建 API 令牌",
    "token_revoke": "撤销 API 令牌",
}


@register.filter
def place(section: str, row: int | None = None) -> str:
    """A section (and row) as the form names it: ``任务第2行``."""
    name = SECTION_TITLES.get(section, section)
    return f"{name}第{row}行" if row else name


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action)
