"""Tests: fast hashing, mail kept in memory; DATABASE_URL/REDIS_URL still switch parts."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "tests-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405

if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    # A file, not pytest-django's shared-cache in-memory database: concurrency
    # tests open several connections at once, and shared-cache SQLite fails them
    # with "database table is locked" instead of queueing as the real file does.
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-agora.sqlite3")}  # noqa: F405

# Concurrency tests hold one connection per thread at once (up to 24); the pool
# must not be the thing they wait on.
if "pool" in DATABASES["default"].get("OPTIONS", {}):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 50  # noqa: F405

# The embedded relay polls the event log from another thread, which the in-memory
# test database does not like; the tests that are about it turn it on.
LIVE_RELAY_POLL_SECONDS = 0
# Threads serving WebSocket consumers keep no database connection past a call, so
# the PostgreSQL test database can be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
