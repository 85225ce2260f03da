"""Settings for the web tests: a throw-away data dir; PostgreSQL when JIXIAO_TEST_POSTGRES=1.

pytest-django makes a test database per worker (``test_jixiao_gw0`` …) and drops it afterwards.
"""

from __future__ import annotations

import os
import tempfile

os.environ["JIXIAO_DATA_DIR"] = tempfile.mkdtemp(prefix="jixiao-test-")
if os.environ.get("JIXIAO_TEST_POSTGRES") == "1":
    os.environ["DATABASE_URL"] = os.environ.get(
        "JIXIAO_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jixiao"
    )
else:
    os.environ.pop("DATABASE_URL", None)

from jixiao_web.settings import *  # noqa: F403

# Tests make many users: a fast hasher here only (production uses PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

#: queue: a background job started by a request runs at once, in that request (jixiao_web.jobs.start),
#: so that tests about other things see its result.  The queue's own tests (test_queue.py) turn this
#: off and run real ``jixiao worker`` processes.
JOBS_INLINE = True
