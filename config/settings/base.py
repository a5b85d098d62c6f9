"""Settings shared by every mode of running Agora.

Everything that differs between a laptop and a city's cluster comes from the
environment (see README "Configuration"); the defaults give the embedded mode:
SQLite in var/, the in-memory channel layer, a local-memory cache and the
database-backed task queue.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("AGORA_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------
INSTALLED_APPS = [
    # Daphne first: it replaces runserver with an ASGI server that speaks
    # WebSockets too.
    "daphne",
    # Agora, ground floor first (see docs/design.md)
    "live",
    "search",
    "accounts",
    "moderation",
    "forums",
    "ideas",
    "polls",
    "budgets",
    "insights",
    "home",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    # Real time and background work
    "channels",
    "django_tasks",
    "django_tasks_db",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.CleanInputMiddleware",
    # Before sessions and authentication: a cached anonymous page costs no more.
    "config.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.PreferredLanguageMiddleware",
    "accounts.middleware.RateLimitMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Only process_view: the route to a Wagtail page, remembered per version.
    "config.routecache.PageRouteCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # site/ holds the web shell (base templates, components); it is not a
        # Python package because "site" is a standard-library module.
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "accounts.context_processors.account_summary",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Data: database, cache, channel layer, tasks
# ---------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "agora.sqlite3"
SQLITE_OPTIONS = {
    # WAL lets readers proceed while one writer writes; IMMEDIATE takes the
    # write lock at BEGIN so concurrent writers queue (up to "timeout") instead
    # of failing half-way through a transaction with "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA cache_size=-20000;"
    ),
}

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Every SQLite database, however it is named, needs WAL and immediate
        # transactions: without them concurrent writers fail with "database is
        # locked" instead of queueing.
        DATABASES["default"]["OPTIONS"] = {
            **SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
        # Django's SQLite backend, with connections kept between requests.
        DATABASES["default"]["ENGINE"] = "config.sqlite_backend"
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under Daphne each request's sync code runs in a thread of its own, so
        # persistent per-thread connections pile up until PostgreSQL refuses more
        # ("too many clients"). A psycopg pool per process bounds them instead.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", 2),
            "max_size": env.int("DATABASE_POOL_MAX", 20),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", 10),
            # The queue of requests waiting for a connection is bounded too: past
            # it, and past the timeout, a request is answered 503 with
            # Retry-After (home.views.server_error), never a 500.
            "max_waiting": env.int("DATABASE_POOL_MAX_WAITING", 200),
        }
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, with connections kept between requests
            # (config/sqlite_backend/base.py).
            "ENGINE": "config.sqlite_backend",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Under ASGI (Daphne): at most this many HTTP requests of one process run at
# once, the rest wait up to AGORA_HTTP_QUEUE_SECONDS (config/concurrency.py), so
# a burst queues instead of failing. Keep it below DATABASE_POOL_MAX: WebSocket
# consumers and the live relay need connections too. 0 turns the bound off.
# 4, not more: each running request is a thread, and the threads of one process
# share one GIL and Django's thread-safe locals, so past a few they only contend.
# Measured side by side (bench/README.md, session 7): 4 against 16 gave signed-in
# pages 5-37 % more req/s on SQLite and PostgreSQL, and a burst of 200 writers
# 25 % more req/s with p95 2.7 s against 3.6 s, 0 errors either way.
AGORA_HTTP_CONCURRENCY = env.int("AGORA_HTTP_CONCURRENCY", 4)
AGORA_HTTP_QUEUE_SECONDS = env.float("AGORA_HTTP_QUEUE_SECONDS", 60.0)
AGORA_HTTP_QUEUE_MAX = env.int("AGORA_HTTP_QUEUE_MAX", 1000)

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Falls back to per-process memory while Redis is unreachable, so a
            # Redis outage slows nothing down to an error (config/cache.py).
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="agora"),
        }
    }
    # Redis pub/sub, one subscriber per process, built for one event to
    # thousands of tabs (live/layers.py, docs/live-protocol.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "live.layers.RedisFanoutLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="agora"),
                # Messages waiting per tab before new ones are dropped (logged).
                "capacity": 1000,
                "socket_timeout": 1.0,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "agora",
        }
    }
    # Embedded default: one process, in memory (live/layers.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "live.layers.LocalFanoutLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# Anonymous pages are cached whole under the version every change moves
# (config/pagecache.py, live/versions.py); this bounds a copy's age. 0 turns it off.
AGORA_PAGE_CACHE_SECONDS = env.int("AGORA_PAGE_CACHE_SECONDS", default=60)
# Signed-in residents whose page would look like any plain resident's share one
# copy of it, with their header, id and CSRF token filled in (accounts/sharedpages.py).
AGORA_SHARED_PAGES = env.bool("AGORA_SHARED_PAGES", default=True)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# ---------------------------------------------------------------------------
# Live updates (see docs/live-protocol.md)
# ---------------------------------------------------------------------------
LIVE_EVENT_RETENTION_DAYS = env.float("LIVE_EVENT_RETENTION_DAYS", default=7)
# Insights: embed each idea with the packaged multilingual model when it is written
# (set AGORA_INSIGHTS_EMBEDDINGS=off to use character LSA only; see docs/insights-cli.md).
INSIGHTS_EMBEDDINGS = env.str(
    "AGORA_INSIGHTS_EMBEDDINGS", default="on"
).lower() not in {
    "off",
    "0",
    "false",
    "no",
}

LIVE_MAX_MESSAGE_BYTES = env.int("LIVE_MAX_MESSAGE_BYTES", default=4096)
LIVE_MAX_TOPICS_PER_CONNECTION = env.int("LIVE_MAX_TOPICS_PER_CONNECTION", default=50)
LIVE_MAX_MESSAGES_PER_SECOND = env.float("LIVE_MAX_MESSAGES_PER_SECOND", default=10)
LIVE_MAX_CONNECTIONS_PER_SESSION = env.int(
    "LIVE_MAX_CONNECTIONS_PER_SESSION", default=20
)
LIVE_MAX_CONNECTIONS_PER_IP = env.int("LIVE_MAX_CONNECTIONS_PER_IP", default=200)
LIVE_REPLAY_MAX_EVENTS = env.int("LIVE_REPLAY_MAX_EVENTS", default=1000)
# Embedded mode only (no REDIS_URL): how often each Daphne process reads the event
# log for events other processes (the task worker, commands) published.
LIVE_RELAY_POLL_SECONDS = env.float("LIVE_RELAY_POLL_SECONDS", default=0.5)
LIVE_RESEND_RETRY_SECONDS = env.float("LIVE_RESEND_RETRY_SECONDS", default=1.0)
LIVE_COUNT_TIMEOUT_SECONDS = env.float("LIVE_COUNT_TIMEOUT_SECONDS", default=0.5)
# Under Daphne, write each event straight to the tabs' sockets, framed once per
# process (live/daphne_direct.py). Off: every event goes through each tab's
# consumer task (the bench compares the two).
LIVE_DIRECT_SEND = env.bool("LIVE_DIRECT_SEND", default=True)

# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
# Account mails in the city's name, with the same branded HTML as Agora's own.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "https")
# Login rate limiting: 5 failed attempts per account per 5 minutes, 10 a minute
# per IP address (allauth's limits, stated here so they are visible).
# Every write and the API have a named limit (accounts/limits.py, docs/security.md).
AGORA_RATE_LIMITS: dict[str, str] = {}
# Key of the HMACs that stand in for register entries and access codes (see
# docs/polls.md); derived from SECRET_KEY when empty.
AGORA_VERIFICATION_KEY = env.str("AGORA_VERIFICATION_KEY", default="")
RATELIMIT_USE_CACHE = "default"
# Off only for load benchmarks from one address (bench/run.py); never in production.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Behind a proxy, set RATELIMIT_IP_META_KEY to the header that carries the client address.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Over "login_failed" the login answers 429 like every other limit (accounts/adapter.py).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Agora <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Only languages whose catalogue is complete are offered: a half-translated page
# is worse than a whole page in English. The translations test fails when a
# string of one of these is missing, fuzzy or out of date (tests/i18n/); see
# docs/translating.md to add a language.
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
]
# One catalogue for all of Agora's apps and site/ templates (django.po for
# templates and Python, djangojs.po for site/static/js). The .mo files are
# compiled at install (`make`), never committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates that read naturally in each language (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

# ---------------------------------------------------------------------------
# Static files and media
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# ---------------------------------------------------------------------------
# Wagtail
# ---------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env.str("AGORA_SITE_NAME", default="Agora")
# No Gravatar in the staff interface: it would send a hash of every staff e-mail
# address to a third party, and the CSP blocks the images anyway.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = env.str("AGORA_BASE_URL", default="http://127.0.0.1:8000")
# allauth's subjects name the city, not the host ("[127.0.0.1:8000] …").
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{WAGTAIL_SITE_NAME}] "
# The site's own search (search/): the PostgreSQL text-search configuration that
# stems and drops stop words for the city's language (`manage.py rebuild_search`
# after changing it). SQLite uses FTS5 with the Porter stemmer.
AGORA_SEARCH_LANGUAGE = env.str(
    "AGORA_SEARCH_LANGUAGE",
    default={
        "en": "english",
        "es": "spanish",
        "ru": "russian",
        "de": "german",
        "fr": "french",
    }.get(LANGUAGE_CODE, "simple"),
)
# No third-party avatars: the admin's CSP allows images only from this site,
# so gravatar requests would only fill the console with errors (and tell
# gravatar who uses the admin). Wagtail shows its default avatar instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "config.search"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
]

# ---------------------------------------------------------------------------
# Security headers (production tightens the transport settings)
# ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content Security Policy on every response. The public site runs only our own
# scripts and styles; the Wagtail admin still needs inline scripts and styles,
# so config.middleware gives /admin/ a wider policy rather than none.
_CSP_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        "img-src": [_CSP_SELF, "data:", "blob:"]
        + env.list("CSP_IMG_SOURCES", default=[]),
        "connect-src": [_CSP_SELF],
        "font-src": [_CSP_SELF],
        "object-src": ["'none'"],
        "base-uri": [_CSP_SELF],
        "form-action": [_CSP_SELF],
        "frame-ancestors": ["'none'"],
    }
}
CONTENT_SECURITY_POLICY_ADMIN_PREFIXES = ["/admin/"]
CONTENT_SECURITY_POLICY_ADMIN = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": [_CSP_SELF, "'unsafe-inline'", "'unsafe-eval'"],
    "style-src": [_CSP_SELF, "'unsafe-inline'"],
    "frame-src": [_CSP_SELF],
    "frame-ancestors": [_CSP_SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------
# Maps (idea campaigns): Leaflet with a configurable tile server, whose origin
# is added to the CSP's img-src (CSP_IMG_SOURCES adds more).
# ---------------------------------------------------------------------------
AGORA_MAP_TILES_URL = env.str(
    "AGORA_MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
AGORA_MAP_ATTRIBUTION = env.str(
    "AGORA_MAP_ATTRIBUTION", default="© OpenStreetMap contributors"
)
_tiles_origin = "/".join(AGORA_MAP_TILES_URL.split("/")[:3])
if _tiles_origin.startswith("https://") or _tiles_origin.startswith("http://"):
    for _policy in (
        CONTENT_SECURITY_POLICY["DIRECTIVES"],
        CONTENT_SECURITY_POLICY_ADMIN,
    ):
        if _tiles_origin not in _policy["img-src"]:
            _policy["img-src"] = [*_policy["img-src"], _tiles_origin]

# Report campaigns: the working-day calendar of answer deadlines (ideas.workdays).
AGORA_WORKING_WEEKDAYS = env.list(
    "AGORA_WORKING_WEEKDAYS", cast=int, default=[0, 1, 2, 3, 4]
)
AGORA_HOLIDAYS = env.list("AGORA_HOLIDAYS", default=[])
