"""Django settings, read from the environment so that one build serves tests, demo and production.

- ``JIXIAO_DATA_DIR``: where the SQLite database, the secret key and stored exports live
  (default ``./jixiao-data``).  The secret key is generated there on first start, never committed.
- ``DATABASE_URL``: ``postgresql://user@host:port/name`` to use PostgreSQL instead of SQLite.
- ``JIXIAO_PRODUCTION=1``: behind HTTPS (secure cookies, HSTS, SSL redirect); ``JIXIAO_ALLOWED_HOSTS``
  then names the host(s).
- ``JIXIAO_IDLE_MINUTES``: minutes without a request after which a session ends (default 30).
- E-mail (reminders, :mod:`jixiao_web.reminders`): ``JIXIAO_SMTP_HOST`` (default ``localhost``),
  ``JIXIAO_SMTP_PORT`` (25), ``JIXIAO_SMTP_USER``/``JIXIAO_SMTP_PASSWORD`` (none),
  ``JIXIAO_SMTP_SECURITY`` (``starttls``, ``ssl`` or empty), ``JIXIAO_MAIL_FROM`` (the sender),
  ``JIXIAO_SITE_URL`` (the address the links in e-mails start with), ``JIXIAO_REMIND_DAYS``
  (days before a deadline the reminder goes out, default 3), ``JIXIAO_MAIL_BACKEND=console`` (print
  mails instead of sending them).
- ``JIXIAO_SECRET_KEY`` / ``JIXIAO_AUDIT_KEY`` (or ``JIXIAO_SECRET_KEY_FILE`` / ``JIXIAO_AUDIT_KEY_FILE``
  naming a file that holds it): the keys, the same on every node of a multi-node deployment; without
  them each is read from (and on first start made in) the data dir.
- ``JIXIAO_METRICS_ALLOWED``: the addresses (or networks) that may read ``/metrics`` (default
  ``127.0.0.1,::1``, the local proxy and scraper).
- ``JIXIAO_LOG_LEVEL``: the level of the request log (``jixiao.requests``, one JSON line per request,
  to standard error; default INFO, ``WARNING`` silences it).
- ``JIXIAO_STORAGE``: where stored files live: ``files`` (the data dir, default), ``database`` or ``s3``
  (see ``STORAGES`` below).
- ``JIXIAO_WORKER_LEASE_SECONDS`` / ``JIXIAO_WORKER_BEAT_SECONDS``: how long a silent worker keeps its
  running task, how often a worker says it is alive.
- ``PROMETHEUS_MULTIPROC_DIR``: set by ``jixiao serve`` (the data dir's ``metrics/``) so that /metrics
  adds up the counts of every gunicorn worker.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("JIXIAO_DATA_DIR", "jixiao-data")).resolve()


def _private_dir(path: Path) -> Path:
    """``path`` made for its owner only (0700) if missing; chmod, so that no umask widens it.

    The data dir holds the database (session keys) and the keys of the site and the audit chain.
    """
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    return path


_private_dir(DATA_DIR)
PRODUCTION = os.environ.get("JIXIAO_PRODUCTION") == "1"


def _secret_key(path: Path) -> str:
    """The key in ``path``, made (readable by the owner only) on first start."""
    if not path.exists():
        key = secrets.token_urlsafe(64)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    return path.read_text().strip()


#: Where each key came from (readiness and backups say so; never the key itself).
KeySource = Literal["environment", "file", "data-dir"]
KEY_SOURCES: dict[str, KeySource] = {}
#: Shorter keys from the environment are refused: an HMAC key must not be guessable.
MIN_KEY_LENGTH = 32


class UnusableKey(ImproperlyConfigured):
    """A key named by the environment that cannot be used (the message is Chinese)."""


def _key(name: str) -> str:
    """The key ``name`` (``secret_key``, ``audit_key``): ``JIXIAO_<NAME>`` itself, else the file
    ``JIXIAO_<NAME>_FILE`` names, else the data dir's file of that name, made on first start.

    Nodes of one deployment share a database, so they must share the keys: from the environment
    (or a secrets file mounted on each node), never one made per machine."""
    variable = f"JIXIAO_{name.upper()}"
    value = os.environ.get(variable, "").strip()
    source: KeySource = "environment"
    if not value and os.environ.get(f"{variable}_FILE"):
        file = Path(os.environ[f"{variable}_FILE"])
        try:
            value = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "不是文本文件"
            raise UnusableKey(f"{variable}_FILE 指向的文件 {file} 无法读取：{reason}。") from None
        source = "file"
        variable = f"{variable}_FILE 指向的文件 {file} 中的密钥"
    if not value:
        KEY_SOURCES[name] = "data-dir"
        return _secret_key(DATA_DIR / name)
    if len(value) < MIN_KEY_LENGTH:
        raise UnusableKey(
            f"{variable} 太短（{len(value)} 个字符）：密钥至少 {MIN_KEY_LENGTH} 个字符，请用随机生成的值。"
        )
    KEY_SOURCES[name] = source
    return value


def _database(url: str | None) -> dict[str, object]:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "jixiao.sqlite3",
            # Several gunicorn workers write to one file: wait for the lock instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL 只支持 postgresql://，收到：{parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "jixiao",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


SECRET_KEY = _key("secret_key")
#: The key of the audit chain's HMAC (jixiao_web.audit): whoever can write to the database but not
#: read the data dir (or the environment) cannot forge a chain that verifies.  Keep it with the
#: database's backups.
AUDIT_KEY = _key("audit_key")
DEBUG = os.environ.get("JIXIAO_DEBUG") == "1"
ALLOWED_HOSTS = [
    host for host in os.environ.get("JIXIAO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "jixiao_web",
    # accounts: TOTP two-factor authentication (the device model; the pages are jixiao_web's)
    "django_otp",
    "jixiao_web.apps.TwoFactorConfig",
    # tasks: background work on the database queue (jixiao_web.tasks, ``jixiao worker``)
    "django_tasks",
    "jixiao_web.apps.TaskQueueConfig",  # django_tasks_db, named in Chinese
]

MIDDLEWARE = [
    # ops: /healthz, /readyz, /metrics answered first; every other request timed, counted, logged
    "jixiao_web.ops.Observe",
    "jixiao_web.middleware.HostGuard",  # harden: a foreign Host is 400, before anything asks for it
    "django.middleware.security.SecurityMiddleware",
    "jixiao_web.middleware.SecurityHeaders",  # harden: CSP, Permissions-Policy, no-store when signed in
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # accounts: idle sessions end; a password to change or a second factor to set up comes first.
    "jixiao_web.accounts.AccountGuard",
    # Before any view reads the body (CSRF's check included): size and NUL refusals.
    "jixiao_web.middleware.RequestGuard",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

AUTH_USER_MODEL = "jixiao_web.User"
#: The first signs people in and loads them with their department; Django's own stays so that a
#: session begun before it still resolves.
AUTHENTICATION_BACKENDS = [
    "jixiao_web.accounts.UserBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "public-index"

ROOT_URLCONF = "jixiao_web.urls"
WSGI_APPLICATION = "jixiao_web.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jixiao_web.views.common.site",
            ],
        },
    },
]

DATABASES = {"default": _database(os.environ.get("DATABASE_URL"))}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = _private_dir(DATA_DIR / "static")
# Served by WhiteNoise straight from the package: no collectstatic step at start.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
#: Stored files (exports) and the folders made for them: for the owner only, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
#: queue: where exports, evidence files and open-data bundles are kept (``JIXIAO_STORAGE``):
#: ``files`` (default) the data dir's ``media/``; ``database`` the database itself
#: (:class:`jixiao_web.storage.DatabaseStorage`: every node sees the same files, the database's backup
#: holds them); ``s3`` an S3-compatible object store through django-storages (``JIXIAO_S3_BUCKET``,
#: ``JIXIAO_S3_ENDPOINT_URL``, ``JIXIAO_S3_REGION``, ``JIXIAO_S3_ACCESS_KEY``, ``JIXIAO_S3_SECRET_KEY``).
STORAGE_KIND = os.environ.get("JIXIAO_STORAGE", "files").strip().lower() or "files"
_STORAGE_BACKENDS: dict[str, dict[str, object]] = {
    "files": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "database": {"BACKEND": "jixiao_web.storage.DatabaseStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("JIXIAO_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("JIXIAO_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("JIXIAO_S3_REGION") or None,
            "access_key": os.environ.get("JIXIAO_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("JIXIAO_S3_SECRET_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    },
}
if STORAGE_KIND not in _STORAGE_BACKENDS:
    raise ImproperlyConfigured(
        f"JIXIAO_STORAGE 只能是 files（数据目录）、database（数据库）或 s3（对象存储），不能是“{STORAGE_KIND}”。"
    )
if STORAGE_KIND == "s3":
    import importlib.util

    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured(
            'JIXIAO_STORAGE=s3 需要 django-storages：请先安装 pip install "django-storages[s3]"。'
        )
    if not os.environ.get("JIXIAO_S3_BUCKET"):
        raise ImproperlyConfigured("JIXIAO_STORAGE=s3 时须用 JIXIAO_S3_BUCKET 给出存储桶名称。")
STORAGES = {
    "default": _STORAGE_BACKENDS[STORAGE_KIND],
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

#: Uploads: the library refuses files over 20 MB itself; Django stops anything larger first.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spool to a temporary file
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
#: harden: files read at the same time by all (each holds a web worker until the background queue
#: exists): ``serve`` sets one fewer than its workers, so one worker is always free for others.
UPLOAD_READERS = max(1, int(os.environ.get("JIXIAO_UPLOAD_READERS", "2")))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# editor: the refusal in the site's layout, and as JSON for the filing form's script.
CSRF_FAILURE_VIEW = "jixiao_web.views.common.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

#: Failed log-ins allowed in LOGIN_WINDOW_SECONDS before log-in is refused: for one account from one
#: address, and (SPREAD) for one account from anywhere or from one address for any accounts.
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_SPREAD = 30
LOGIN_WINDOW_SECONDS = 15 * 60

#: The address recorded in the audit log: REMOTE_ADDR, or X-Forwarded-For's last hop when a proxy
#: we trust puts it there.
#: ``serve`` listens on 127.0.0.1 only, so in production every request comes through the local
#: reverse proxy: its X-Forwarded-For is trusted unless JIXIAO_TRUST_X_FORWARDED_FOR=0.
TRUST_X_FORWARDED_FOR = os.environ.get("JIXIAO_TRUST_X_FORWARDED_FOR", "1" if PRODUCTION else "0") == "1"

# --- accounts: idle sessions, two-factor codes
#: A session ends after this many minutes without a request (the page warns 2 minutes before);
#: at least 1 (a decimal such as 2.5 is allowed).
IDLE_MINUTES = max(float(os.environ.get("JIXIAO_IDLE_MINUTES") or 30), 1.0)
SESSION_COOKIE_AGE = round(IDLE_MINUTES * 60)
#: The name shown in authenticator apps beside the user name.
OTP_TOTP_ISSUER = "jixiao"

# --- tasks: background work, run by ``jixiao worker`` (``jixiao serve`` starts one) ---------------
#: The queue lives in the database (the same one as everything else): what is enqueued inside a
#: transaction is enqueued only if it commits, and every node of a deployment sees the same queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
#: A worker renews its lease every WORKER_BEAT_SECONDS; a task RUNNING under a worker silent for
#: WORKER_LEASE_SECONDS (killed, its machine gone) is put back in the queue for another worker.
WORKER_BEAT_SECONDS = max(float(os.environ.get("JIXIAO_WORKER_BEAT_SECONDS") or 5), 0.2)
WORKER_LEASE_SECONDS = max(float(os.environ.get("JIXIAO_WORKER_LEASE_SECONDS") or 30), 1.0)
#: A background job that fails is tried this many times in all (waits: jixiao_web.tasks.BACKOFF_SECONDS).
JOB_ATTEMPTS = max(int(os.environ.get("JIXIAO_JOB_ATTEMPTS") or 4), 1)
#: Tests only: run a job in the request that starts it, as soon as its transaction commits (for tests
#: about something else than the queue; see tests/web/conftest.py ``jobs_inline``).
JOBS_INLINE = False

# --- reminders: e-mail through Django's SMTP backend ----------------------------------------------
#: ``JIXIAO_MAIL_BACKEND=console``: mails are printed by the worker instead of sent (``serve --demo``
#: without ``JIXIAO_SMTP_HOST``: the demo's addresses are examples).
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if os.environ.get("JIXIAO_MAIL_BACKEND") == "console"
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("JIXIAO_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("JIXIAO_SMTP_PORT") or 25)
EMAIL_HOST_USER = os.environ.get("JIXIAO_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("JIXIAO_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("JIXIAO_SMTP_SECURITY", "") == "starttls"
EMAIL_USE_SSL = os.environ.get("JIXIAO_SMTP_SECURITY", "") == "ssl"
#: A mail server that does not answer must not hold the worker for long.
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("JIXIAO_MAIL_FROM", "jixiao@localhost")
#: The site's address as people reach it, for the links in e-mails (no request to take it from).
SITE_URL = os.environ.get("JIXIAO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
#: A department is reminded this many days before a deadline of what it has not submitted.
REMIND_DAYS_BEFORE = max(int(os.environ.get("JIXIAO_REMIND_DAYS") or 3), 0)
#: How often the worker looks for reminders to send (the sweep re-enqueues itself).
REMIND_SWEEP_MINUTES = max(float(os.environ.get("JIXIAO_REMIND_SWEEP_MINUTES") or 60), 1.0)
#: A mail that could not be sent is tried again this many times in all, waiting longer each time.
MAIL_ATTEMPTS = 5
# --- ops: who may read /metrics, the request log
#: Addresses or networks that may read /metrics (every hop of a request must be one of them).
METRICS_ALLOWED = [
    item.strip()
    for item in os.environ.get("JIXIAO_METRICS_ALLOWED", "127.0.0.1,::1").split(",")
    if item.strip()
]
for _item in METRICS_ALLOWED:
    try:
        ipaddress.ip_network(_item, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"JIXIAO_METRICS_ALLOWED 中的“{_item}”不是地址或网段（如 127.0.0.1、10.0.0.0/24）。"
        ) from None
#: A health checker asks by address, over plain HTTP: never sent to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # One JSON object per line (jixiao_web.ops.request_line), to standard error.
        "requests": {"class": "logging.StreamHandler", "formatter": "line"},
    },
    "loggers": {
        "jixiao.requests": {
            "handlers": ["requests"],
            "level": os.environ.get("JIXIAO_LOG_LEVEL", "INFO").upper(),
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
