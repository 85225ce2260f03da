"""``Content-Disposition`` for downloads: a name a person can read, and one every client can.

Browsers take the UTF-8 name from ``filename*`` (RFC 6266 with RFC 5987 encoding:
``揭阳市教育局-2024年度部门整体预算绩效目标表-第2版.xlsx``); the few clients that do not fall back
on the plain ``filename``, which is kept to ASCII (``2024-jiaoyu-v2.xlsx``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

#: What may stand in a quoted ASCII ``filename`` (no quote, backslash, control or path character).
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()+,;=@\[\]{}~!#$%&\'^-]")
#: Characters no operating system accepts in a file name; replaced in the readable name too.
_UNSAFE_ANYWHERE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def readable(name: str) -> str:
    """``name`` with characters no file system takes (``/``, ``:``, control characters …) as ``_``."""
    return _UNSAFE_ANYWHERE.sub("_", name).strip() or "download"


def header(name: str, fallback: str, *, attachment: bool) -> str:
    """The header's value: ``attachment`` (saved) or ``inline`` (shown), with both names."""
    kind = "attachment" if attachment else "inline"
    plain = _UNSAFE_ASCII.sub("_", fallback) or "download"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(readable(name), safe='')}"
