"""WSGI entry point for gunicorn (``jixiao serve``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao_web.settings")
application = get_wsgi_application()

# A worker starting (perhaps instead of one gunicorn killed mid-upload): readers left behind go.
from jixiao_web.uploads import sweep  # noqa: E402

sweep()
