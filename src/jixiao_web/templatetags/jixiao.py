"""Template filters for the pages."""

from __future__ import annotations

from django import template

from jixiao.findings import Severity
from jixiao_web.wording import place_of

register = template.Library()

ACTIONS = {
    "start": "创建",
    "save": "保存",
    "submit": "提交",
    "submit_to_head": "提交部门负责人审核",
    "head_approve": "部门负责人审核通过",
    "head_return": "部门负责人退回",
    "return": "财政局退回修改",
    "approve": "财政局审核通过",
    "publish": "发布",
    "login": "登录",
    "token_create": "创建 API 令牌",
    "token_revoke": "撤销 API 令牌",
    "logout": "退出",
    "admin_add": "管理：新增",
    "admin_change": "管理：修改",
    "admin_delete": "管理：删除",
    "library_mark": "标记指标库中的指标",  # library
    "library_rebuild": "重建指标库",  # library
}


register.filter("place", place_of)


@register.filter
def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


@register.filter
def severity_label(severity: str) -> str:
    """错误 / 警告 / 提示, as the library names its severities."""
    return Severity(severity).label
