"""The JSON API (django-ninja).  Filled in below; placeholder router so the URLs load."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="jixiao API", version="1", urls_namespace="api")
