"""Settings for posthog-core: one env-driven module; production differs only in env values."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import dj_database_url

from posthog_core import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = embedded_db.data_dir()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "posthog_core",
    "accounts",
    "activity_logs",
    "event_definitions",
    "property_definitions",
    "ingestion",
    "file_system",
    "schemas",
    "insights",
    "exports",
]

MIDDLEWARE = [
    "posthog_core.observability.RequestObservabilityMiddleware",
    "posthog_core.middleware.DatabaseUnavailableMiddleware",
    "posthog_core.middleware.ServedByMiddleware",
    "posthog_core.db_routing.RequestRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "posthog_core.middleware.CaptureCorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "posthog_core.urls"
WSGI_APPLICATION = "posthog_core.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {"default": {**embedded_db.ensure_server(), "CONN_MAX_AGE": 60}}
DATABASES["default"].setdefault("OPTIONS", {})
# An unreachable host fails the request (503) within seconds instead of hanging a thread.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")))
# Django's PostgreSQL backend with psycopg's C timestamp loader (posthog_core/db/base.py).
DATABASES["default"]["ENGINE"] = "posthog_core.db"
# A kept connection is checked before its first use in each request and replaced if the database
# was restarted under it, so no client sees the broken connection; the check polls the idle
# socket instead of Django's `SELECT 1` round trip (posthog_core/db/base.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", True)
# A streaming replica for heavy reads (posthog_core/db_routing.py); nothing changes without it.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["ENGINE"] = "posthog_core.db"
    # An unreachable host must cost a request a moment, not the OS's connect timeout.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    # The test runner never creates a second test database for the replica: it mirrors `default`.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["posthog_core.db_routing.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "10"))
# The name this process answers with in `X-Served-By` and `/_health`; the cluster sets one per node.
NODE_NAME = os.environ.get("POSTHOG_CORE_NODE_NAME") or socket.gethostname()
# Peers for the aggregated `/_health/cluster`: `name=http://host:port,...` (the balancer's health).
CLUSTER_NODES = {
    name.strip(): url.strip()
    for name, _, url in (item.partition("=") for item in env_list("POSTHOG_CORE_CLUSTER_NODES", ""))
    if url
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "posthog_core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Sessions live in the shared database, so a login on one web node holds on every other.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "/api-auth/login/"
LOGIN_REDIRECT_URL = "/api/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
MEDIA_ROOT = Path(os.environ.get("POSTHOG_CORE_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# S3-compatible storage for exports (STORAGE_BACKEND=storages.backends.s3.S3Storage, plus `pip install boto3`):
# django-storages reads these settings; each comes from the environment variable of the same name.
for _name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME", "AWS_ACCESS_KEY_ID",
              "AWS_SECRET_ACCESS_KEY", "AWS_LOCATION"):
    if os.environ.get(_name):
        globals()[_name] = os.environ[_name]
# Static files are served from the installed apps directly, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "posthog_core.auth.PersonalAPIKeyAuthentication",
        "posthog_core.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "posthog_core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "posthog_core.schema.ScopedAutoSchema",
    "EXCEPTION_HANDLER": "posthog_core.exception_handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "posthog_core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every DRF view is counted against the CRUD limits; viewsets move their `analytics_actions` to
    # the analytics limits (ScopedViewSetMixin.get_throttles); capture views opt out.
    "DEFAULT_THROTTLE_CLASSES": ["posthog_core.throttling.CrudRateThrottle"],
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "posthog-core API",
    "DESCRIPTION": "A self-hostable, PostHog-compatible Core API: event definitions, exports and the file system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No request leaves the machine: Swagger UI's default validator badge calls validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api(/projects/\{project_id\})?",
    "PREPROCESSING_HOOKS": ["posthog_core.schema.preprocess_exclude_aliases"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "posthog_core.schema.postprocess_stated_rules"],
    "ENUM_NAME_OVERRIDES": {},
    "SECURITY": [],
    # Bodies are documented as JSON only (form and multipart are still accepted, for the browsable
    # API): openapi-python-client 0.29 generates code that cannot import when one operation lists
    # three content types with the same model.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
}

# Exports (issue #8): rows per export; PostHog's current cap.
EXPORT_ROW_LIMIT = int(os.environ.get("EXPORT_ROW_LIMIT", "300000"))
# Renders at once across every process and node sharing the database (exports/slots.py; 0 = no
# limit), and how long a create waits for a slot before it answers 429. By default half the cores
# this process may run on (at least one), the README's sizing rule: renders never take every core
# from ordinary requests (on 2 cores, @me's p99 under 6 exports measured 25 ms with 1 slot, 33-49
# ms with 2).
EXPORT_CONCURRENCY = int(os.environ.get("EXPORT_CONCURRENCY", str(max(1, len(os.sched_getaffinity(0)) // 2))))
EXPORT_SLOT_WAIT_SECONDS = float(os.environ.get("EXPORT_SLOT_WAIT_SECONDS", "20"))
# Export creates (rendering or waiting for a slot) one web process takes at once; past it, 429 at
# once, so waiting creates never hold every thread of a worker (half of gunicorn's threads).
EXPORT_THREADS_PER_PROCESS = int(
    os.environ.get("EXPORT_THREADS_PER_PROCESS", str(max(1, int(os.environ.get("GUNICORN_THREADS", "8")) // 2)))
)
# CPU nice value of a rendering thread and its (local) PostgreSQL backend (exports/priority.py; 0 = off).
EXPORT_RENDER_NICE = int(os.environ.get("EXPORT_RENDER_NICE", "10"))

# Capture batches the database cannot take wait here (ingestion/spool.py); past the bound, 503.
# One spool per database: a data dir shared by servers on different databases (`make run` beside a
# benchmark) must not drain one's batches into the other.
_SPOOL_NAME = "-".join(str(DATABASES["default"].get(key) or "") for key in ("NAME", "PORT")).strip("-")
CAPTURE_SPOOL_DIR = Path(os.environ.get("CAPTURE_SPOOL_DIR", DATA_DIR / "spool" / _SPOOL_NAME))
CAPTURE_SPOOL_MAX_BYTES = int(os.environ.get("CAPTURE_SPOOL_MAX_BYTES", str(512 * 1024 * 1024)))

# Rate limits (issue #13): PostHog's personal-API-key limits, per key (per user for sessions).
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMITS = {
    "crud": (
        os.environ.get("RATE_LIMIT_CRUD_BURST", "480/minute"),
        os.environ.get("RATE_LIMIT_CRUD_SUSTAINED", "4800/hour"),
    ),
    "analytics": (
        os.environ.get("RATE_LIMIT_ANALYTICS_BURST", "240/minute"),
        os.environ.get("RATE_LIMIT_ANALYTICS_SUSTAINED", "1200/hour"),
    ),
}
LOGIN_LOCKOUT_ACCOUNT_FAILURES = int(os.environ.get("LOGIN_LOCKOUT_ACCOUNT_FAILURES", "5"))
LOGIN_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("LOGIN_LOCKOUT_ADDRESS_FAILURES", "20"))
LOGIN_LOCKOUT_WINDOW_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_WINDOW_SECONDS", "900"))
# The counters live in PostgreSQL (posthog_core/ratelimit.py) unless REDIS_URL names a Redis, which
# then backs Django's cache framework and the counters move there.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
RATE_LIMIT_STORE = "cache" if REDIS_URL else "postgres"
RATE_LIMIT_CACHE = "default"

# Observability (issue #13): the access log and /metrics (404 unless METRICS_TOKEN is set).
ACCESS_LOG = env_bool("ACCESS_LOG", True)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Events partitioning (issue #15): monthly partitions made this many months ahead of the current one
# and back from it; events older than EVENTS_RETENTION_DAYS are dropped a whole month at a time
# (unset: kept forever), by `manage.py apply_retention` and by the maintenance every
# EVENTS_MAINTENANCE_INTERVAL seconds inside the service (ingestion/maintenance.py).
EVENTS_PARTITION_MONTHS_AHEAD = int(os.environ.get("EVENTS_PARTITION_MONTHS_AHEAD", "3"))
EVENTS_PARTITION_MONTHS_BACK = int(os.environ.get("EVENTS_PARTITION_MONTHS_BACK", "12"))
EVENTS_RETENTION_DAYS = int(os.environ["EVENTS_RETENTION_DAYS"]) if os.environ.get("EVENTS_RETENTION_DAYS") else None
EVENTS_MAINTENANCE_INTERVAL = float(os.environ.get("EVENTS_MAINTENANCE_INTERVAL", "3600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "posthog_core.log_format.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request line would carry ?personal_api_key=...; our own handler logs errors instead.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "pgserver": {"level": "WARNING"},
    },
}
