"""ops: ``/healthz``, ``/readyz``, ``/metrics`` and the request log (one JSON line per request)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from jixiao_web import audit
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, AuditEntry, Filing, User

FAR = "203.0.113.9"  # TEST-NET-3: an outside address


class Lines(logging.Handler):
    """The request log's lines, parsed (the logger does not propagate, so caplog cannot see it)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def request_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("jixiao.requests")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(3))
    return 0.0


# --- health and readiness ------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_and_readiness_answer_without_sign_in_session_or_personal_data() -> None:
    client = Client()
    for name in ("healthz", "readyz"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        body = response.json()
        assert body["status"] == "ok"
        assert all(body["checks"].values())
        assert "Set-Cookie" not in response.headers
        assert response["Cache-Control"] == "no-store"
    assert set(client.get("/readyz").json()["checks"]) == {"database", "migrations", "keys"}
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_health_is_answered_by_address_over_plain_http(settings: object) -> None:
    """A load balancer asks by its own address, over HTTP: no Host check, no HTTPS redirect."""
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    assert Client().get("/public/").status_code == 301  # everything else is sent to HTTPS
    for path in ("/healthz", "/readyz"):
        assert Client().get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200, path
    # … and the login throttle, sessions and the account steps are never consulted
    user = User.objects.create_user("needs-step", password="a-long-passphrase-1", must_change_password=True)
    client = Client()
    client.force_login(user)
    waiting = client.get(reverse("home"), secure=True)  # everything else waits for the new password
    assert waiting["Location"] == reverse("password-change")
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readiness_fails_on_a_node_with_another_audit_key(settings: object) -> None:
    audit.record(Actor(None), AuditAction.LIBRARY_REBUILD, target="节点 A")
    assert Client().get("/readyz").status_code == 200
    settings.AUDIT_KEY = "another-node's-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "migrations": True, "keys": False}
    assert "audit_key" in response.json()["detail"]
    assert Client().get("/healthz").status_code == 200  # alive, only not to be sent requests
    # and that node refuses to write an entry no other node could verify
    with pytest.raises(audit.WrongAuditKey):
        audit.record(Actor(None), AuditAction.LIBRARY_REBUILD, target="节点 B")
    assert AuditEntry.objects.count() == 1


# --- metrics ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_count_requests_by_view_method_and_status() -> None:
    client = Client()
    before = client.get("/metrics").content.decode()
    client.get(reverse("public-index"))
    client.get(reverse("public-index"))
    client.get("/no-such-page/")
    text = client.get("/metrics").content.decode()
    view = {"view": "public-index", "method": "GET"}
    assert (
        _sample(text, "jixiao_http_responses_total", status="200", **view)
        - _sample(before, "jixiao_http_responses_total", status="200", **view)
        == 2
    )
    assert (
        _sample(text, "jixiao_http_request_duration_seconds_count", **view)
        - _sample(before, "jixiao_http_request_duration_seconds_count", **view)
        == 2
    )
    assert _sample(text, "jixiao_http_request_duration_seconds_bucket", le="+Inf", **view) >= 2
    unmatched = {"view": "<unmatched>", "method": "GET", "status": "404"}
    assert _sample(text, "jixiao_http_responses_total", **unmatched) > _sample(
        before, "jixiao_http_responses_total", **unmatched
    )
    # No queue yet: its gauges are there, at 0.
    for gauge in ("jixiao_task_queue_depth", "jixiao_task_running", "jixiao_task_failures"):
        assert re.search(rf"^{gauge} 0\.0$", text, re.M), gauge


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_as_no_page(settings: object) -> None:
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    refused = Client(REMOTE_ADDR=FAR).get("/metrics")
    assert refused.status_code == 404
    nothing = Client(REMOTE_ADDR=FAR).get("/no-such-page/")
    assert refused.content == nothing.content  # the site's own 404: nothing says it exists
    # Through the local proxy from outside: the proxy's own address is not enough.
    assert Client().get("/metrics", HTTP_X_FORWARDED_FOR=FAR).status_code == 404
    assert Client().get("/metrics", HTTP_X_FORWARDED_FOR="not-an-address").status_code == 404
    # A scraper on the private network, once its network is allowed.
    settings.METRICS_ALLOWED = ["10.0.0.0/8"]  # type: ignore[attr-defined]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


@pytest.mark.django_db
def test_queue_gauges_count_the_task_queue_by_status() -> None:
    """The gauges read the task table of django-tasks' database backend (ready, running, failed)."""
    from django_tasks_db.models import DBTaskResult

    from jixiao_web.tasks import sweep_reminders

    made = [sweep_reminders.enqueue().id for _ in range(7)]
    for task_id, status in zip(made[3:], ["RUNNING", "FAILED", "FAILED", "SUCCESSFUL"], strict=True):
        DBTaskResult.objects.filter(id=task_id).update(status=status)
    text = Client().get("/metrics").content.decode()
    assert _sample(text, "jixiao_task_queue_depth") == 3
    assert _sample(text, "jixiao_task_running") == 1
    assert _sample(text, "jixiao_task_failures") == 2


# --- the request log --------------------------------------------------------------------------------


def test_one_json_line_per_request_with_user_id_and_no_personal_data(
    request_log: Lines, draft: Filing, people: dict[str, User]
) -> None:
    filer = people["filer"]
    client = Client()
    client.force_login(filer)
    response = client.get(
        reverse("filing-detail", args=[draft.pk]), {"q": "张三 13800000000"}, HTTP_X_REQUEST_ID="abc-123"
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc-123"
    Client().get(reverse("public-index"), HTTP_X_REQUEST_ID="<script>")
    first, second = request_log.lines
    assert set(first) == {
        "time",
        "request_id",
        "method",
        "path",
        "query_keys",
        "view",
        "status",
        "duration_ms",
        "user",
    }
    assert first["request_id"] == "abc-123"
    assert (first["method"], first["path"], first["query_keys"]) == ("GET", f"/filings/{draft.pk}/", ["q"])
    assert (first["view"], first["status"], first["user"]) == ("filing-detail", 200, filer.pk)
    assert isinstance(first["duration_ms"], float)
    assert first["duration_ms"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(first["time"]))
    written = json.dumps(request_log.lines, ensure_ascii=False)
    for personal in ("张三", "13800000000", filer.username, "127.0.0.1"):
        assert personal not in written
    # signed out: no user; a request id that is not plain text is replaced by our own
    assert (second["user"], second["status"], second["view"]) == (None, 200, "public-index")
    assert re.fullmatch(r"[0-9a-f]{32}", str(second["request_id"]))


@pytest.mark.django_db
def test_a_refused_query_string_is_still_logged_without_it(request_log: Lines, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3  # type: ignore[attr-defined]
    response = Client().get("/public/?a=1&b=2&c=3&d=4")
    assert response.status_code == 400
    (line,) = request_log.lines
    assert (line["path"], line["query_keys"], line["status"]) == ("/public/", [], 400)


@pytest.mark.django_db
def test_health_checks_are_not_logged_unless_they_fail(request_log: Lines) -> None:
    for _ in range(3):
        Client().get("/healthz")
    Client(REMOTE_ADDR=FAR).get("/metrics")
    assert [(line["path"], line["status"]) for line in request_log.lines] == [("/metrics", 404)]
