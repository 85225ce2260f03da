"""Operations: health and readiness for the load balancer, a JSON line per request, Prometheus metrics.

- ``/healthz``: the process answers and the database answers a cheap query (200, else 503).
- ``/readyz``: migrations applied and the keys loaded, the audit key the one the chain was written
  with (200, else 503): a node started with another key would write entries no other node verifies.
- ``/metrics``: Prometheus' text format, readable only from ``settings.METRICS_ALLOWED``
  (every hop of the request, ``X-Forwarded-For`` included, must be allowed); 404 for anyone else.

All three need no sign-in, hold nothing personal and are answered by :class:`Observe` before the
other middleware (no session, no Host check, no HTTPS redirect, no throttling): a health checker
asks every few seconds, by address.  :class:`Observe` also writes the request log (logger
``jixiao.requests``) and counts every request for the metrics.

Under gunicorn (``jixiao serve``) several worker processes count requests:
``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve`` to a folder of the data dir) makes prometheus_client
keep the counts in files that :func:`metrics` adds up.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from jixiao_web.models import request_scope

log = logging.getLogger("jixiao.requests")

#: The methods counted by name; anything else is counted as "other" (a label per junk method
#: would let anyone grow the metrics without bound).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: A request id a proxy may hand us (``X-Request-ID``); anything else is replaced by our own.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The table of django-tasks' database backend, read for the queue's gauges once it exists.
TASK_TABLE = "django_tasks_database_dbtaskresult"
#: The longest path written to the log (a request may send any path).
PATH_MAX = 512

# --- metrics -----------------------------------------------------------------------------------

_LOCAL = CollectorRegistry(auto_describe=True)
LATENCY = Histogram(
    "jixiao_http_request_duration_seconds",
    "处理请求所用的时间（秒），按视图和请求方法",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=_LOCAL,
)
RESPONSES = Counter(
    "jixiao_http_responses",
    "答复数，按视图、请求方法和状态码",
    ["view", "method", "status"],
    registry=_LOCAL,
)


def task_counts() -> dict[str, int]:
    """Background tasks by state (READY, RUNNING, FAILED, SUCCESSFUL) from django-tasks' database
    table; empty while there is no such table (no worker installed yet)."""
    with connection.cursor() as cursor:
        if TASK_TABLE not in connection.introspection.table_names(cursor):
            return {}
        table = connection.ops.quote_name(TASK_TABLE)
        cursor.execute(
            f"SELECT status, COUNT(*) FROM {table} GROUP BY status"
        )  # the table's name is a constant
        return {str(status): int(count) for status, count in cursor.fetchall()}


class TaskCollector(Collector):
    """The queue's gauges, read from the database when scraped (every node reports the same)."""

    def collect(self) -> Iterable[Metric]:
        try:
            counts = task_counts()
        except DatabaseError:
            counts = {}
        depth = GaugeMetricFamily("jixiao_task_queue_depth", "等待执行的后台任务数")
        depth.add_metric([], counts.get("READY", 0))
        running = GaugeMetricFamily("jixiao_task_running", "正在执行的后台任务数")
        running.add_metric([], counts.get("RUNNING", 0))
        failed = GaugeMetricFamily("jixiao_task_failures", "执行失败的后台任务数")
        failed.add_metric([], counts.get("FAILED", 0))
        return [depth, running, failed]


def _registry() -> CollectorRegistry:
    """What ``/metrics`` shows: this process's counts, or (under gunicorn) every worker's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(_LOCAL))
    registry.register(TaskCollector())
    return registry


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


@cache
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def _hops(request: HttpRequest) -> list[str]:
    """Every address the request came through: the peer, and whatever X-Forwarded-For names."""
    hops = [str(request.META.get("REMOTE_ADDR", ""))]
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops += [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether every hop of ``request`` is an allowed address (a client behind the local proxy is not)."""
    networks = _networks(tuple(settings.METRICS_ALLOWED))
    for hop in _hops(request):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return False
        if not any(address in network for network in networks):
            return False
    return True


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for the allowed addresses only: 404 (as for no page) otherwise."""
    if not metrics_allowed(request):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST

    response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


# --- health and readiness ------------------------------------------------------------------------


def _answer(ready: bool, checks: dict[str, bool], detail: str) -> JsonResponse:
    response = JsonResponse(
        {"status": "ok" if ready else "fail", "checks": checks, "detail": detail},
        status=200 if ready else 503,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-store"
    return response


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except DatabaseError:
        return False


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when this process and its database answer; 503 when the database does not."""
    if _database_answers():
        return _answer(True, {"database": True}, "运行正常")
    return _answer(False, {"database": False}, "数据库无法连接")


_migrated = False


def _migrations_applied() -> bool:
    """No migration left to apply (remembered once true: migrations are not taken back)."""
    global _migrated
    if not _migrated:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def _keys_loaded() -> bool:
    """Both keys present, and the audit key the one that wrote the chain (its fingerprint)."""
    from jixiao_web.audit import key_id
    from jixiao_web.models import AuditHead

    if not settings.SECRET_KEY or not settings.AUDIT_KEY:
        return False
    recorded = AuditHead.objects.filter(pk=1).values_list("key_id", flat=True).first()
    return not recorded or recorded == key_id()


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when this node may take requests: database, migrations, keys."""
    checks = {"database": _database_answers(), "migrations": False, "keys": False}
    if checks["database"]:
        try:
            checks["migrations"] = _migrations_applied()
            checks["keys"] = checks["migrations"] and _keys_loaded()
        except DatabaseError:
            checks["database"] = False
    problems = {
        "database": "数据库无法连接",
        "migrations": "数据库迁移尚未执行完毕",
        "keys": "密钥未载入，或操作记录密钥（audit_key）与记录这条链时所用的不同",
    }
    failed = [problems[name] for name, passed in checks.items() if not passed]
    return _answer(not failed, checks, "；".join(failed) if failed else "可以接收请求")


#: Answered before any other middleware, by path (see the module's docstring).
ENDPOINTS: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": ("healthz", healthz),
    "/readyz": ("readyz", readyz),
    "/metrics": ("metrics", metrics),
}


# --- the middleware ------------------------------------------------------------------------------


def _request_id(request: HttpRequest) -> str:
    given = str(request.META.get("HTTP_X_REQUEST_ID", ""))
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id (by session or API token), else None; never a name."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def request_line(
    request: HttpRequest, status: int, duration_ms: float, request_id: str, view: str
) -> dict[str, Any]:
    """The log's record of one request: no query string values (a search may hold a name), no
    address, no user name; the user by id only."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": request.method,
        "path": request.path[:PATH_MAX],
        "query_keys": _query_keys(request),
        "view": view,
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "user": _user_id(request),
    }


def _query_keys(request: HttpRequest) -> list[str]:
    """The query string's parameter names (never their values); none for one Django refused."""
    try:
        return sorted(key[:64] for key in request.GET)[:50]
    except (SuspiciousOperation, ValueError):
        return []


class Observe:
    """First of all middleware: answers the operations endpoints; times, counts and logs every
    other request, and tells the client the request's id (``X-Request-ID``) to quote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = _request_id(request)
        endpoint = ENDPOINTS.get(request.path)
        if endpoint is not None and request.method in ("GET", "HEAD"):
            name, view = endpoint
            if view is metrics and not metrics_allowed(request):
                response = self.get_response(request)  # the site's own 404, as for no page
            else:
                response = view(request)
            elapsed = _count(name, request, response, started)
            if response.status_code != 200:  # a failing check or a refused scraper, not the routine
                _log(request_line(request, response.status_code, elapsed * 1000, request_id, name))
            return response
        with request_scope():  # the city's settings read once for the whole request
            response = self.get_response(request)
        view_name = _view_name(request)
        elapsed = _count(view_name, request, response, started)
        response["X-Request-ID"] = request_id
        if log.isEnabledFor(logging.INFO):
            _log(request_line(request, response.status_code, elapsed * 1000, request_id, view_name))
        return response


def _log(line: dict[str, Any]) -> None:
    log.info(json.dumps(line, ensure_ascii=False, separators=(",", ":")))


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return str(match.view_name or match._func_path)


def _count(view: str, request: HttpRequest, response: HttpResponse, started: float) -> float:
    elapsed = time.perf_counter() - started
    method = request.method if request.method in METHODS else "other"
    LATENCY.labels(view, method).observe(elapsed)
    RESPONSES.labels(view, method, str(response.status_code)).inc()
    return elapsed
