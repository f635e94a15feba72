"""Settings for the U.S.-Japan Research Partnership Registry, read from the environment.

One module for every machine. With nothing set it runs on SQLite for development (set
``DEBUG=1``, as ``make run`` does); production sets ``SECRET_KEY``, ``ALLOWED_HOSTS``
and ``DATABASE_URL=postgres://…``.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1 or 0).")


def env_list(name: str, default: str) -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_rate(name: str, default: str) -> str | None:
    """A rate such as "120/min"; "0" or "" is no limit (None)."""
    value = env_str(name, default)
    return None if value in {"", "0"} else value


def env_str(name: str, default: str = "") -> str:
    """A text value without surrounding spaces; the default only when unset."""
    value = os.environ.get(name)
    return default if value is None else value.strip()


DEVELOPMENT_SECRET_KEY = "development-only-key-never-use-in-production"
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# manage.py marks commands that serve no request (manage.py): only serving
# with a known key is unsafe.
NOT_SERVING = env_bool("USJP_NOT_SERVING", default=False)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY and not NOT_SERVING:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set and DEBUG is off: refusing to start with the "
        "development key. Set SECRET_KEY in the environment, or DEBUG=1 on a "
        "development machine."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "axes",
    "registry",
]

MIDDLEWARE = [
    # First: it times and logs every request, whatever answers it.
    "registry.operations.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "registry.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "registry.limits.AnonymousLimitsMiddleware",
    "usjp_site.routers.ReplicaReadsMiddleware",
    "registry.limits.SearchSlotsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the admin's history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks each login first: after AXES_FAILURE_LIMIT failures for one user
# name from one address, that pair is refused for AXES_COOLOFF_MINUTES. Editors unlock
# from the admin (Axes › Access attempts: delete the attempt).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = AXES_COOLOFF_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "registry.limits.client_address"
AXES_LOCKOUT_CALLABLE = "registry.admin.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
# Failures are what matter; a row a successful login would fill the table.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

ROOT_URLCONF = "usjp_site.urls"
WSGI_APPLICATION = "usjp_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.languages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Read replicas of the primary, comma-separated URLs: anonymous reads and index builds
# go to one of them (usjp_site.routers). Tests read the primary in their place.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", "")
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    DATABASES[f"replica_{_number}"] = {
        **dj_database_url.parse(
            _url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["usjp_site.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        )
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
# Remembers the language of the last public page a visitor saw (a year), so that the
# first visit alone follows the browser's Accept-Language (registry.middleware).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", default=not DEBUG
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that ends TLS: it says so in X-Forwarded-Proto, which only it can set.
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only, for production: redirect plain HTTP, and tell browsers to use HTTPS for
# SECURE_HSTS_SECONDS (start small; a year once sure).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The health check answers a load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Content-Security-Policy: everything from this site only, no inline script or style,
# no plugins, no framing. The charts are SVG drawn on the server; the API docs' scripts
# come from drf-spectacular-sidecar, served here too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Features no page uses, refused to every frame.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
}

# Client addresses (registry.limits): the proxies in front of the site, as addresses or
# networks (10.0.0.0/8). Empty: the connecting address is the client's, and
# X-Forwarded-For is ignored, as anyone can write it.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# Anonymous limits per client address (registry.limits), shared by every process
# through the cache: "0" or "" turns one off.
PAGE_ANON_RATE = env_rate("PAGE_ANON_RATE", "240/min")
EXPORT_ANON_RATE = env_rate("EXPORT_ANON_RATE", "20/hour")
# Exports a process streams at once (gunicorn.conf.py: each worker has GUNICORN_THREADS
# threads); another is told to come back after EXPORT_RETRY_AFTER_SECONDS.
EXPORTS_PER_PROCESS = env_int("EXPORTS_PER_PROCESS", 1)
# Searches, directories, figures and API calls a process runs at once; the others wait
# up to SEARCH_WAIT_SECONDS (then 503): pages of one record never wait behind them.
# One a worker, as many as cores with the default two workers: more only share the
# cores and slow the quick pages (bench/load.py: home page p95 under load 33 → 18 ms).
SEARCHES_PER_PROCESS = env_int("SEARCHES_PER_PROCESS", 1)
SEARCH_WAIT_SECONDS = env_float("SEARCH_WAIT_SECONDS", 20)
EXPORT_RETRY_AFTER_SECONDS = env_int("EXPORT_RETRY_AFTER_SECONDS", 10)

# django-simple-history's revert saves a form alone, around the write services: it
# reported success and changed nothing. Agreements restore versions through theirs
# (registry.admin.versions); other records keep a read-only list of changes.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Why a change was made may take a paragraph (a withdrawal, a merge, a revert).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# How long a process may answer searches before checking whether the registry changed
# (registry.engine; a check is one indexed one-row query): a change shows in public
# search within this many seconds and the time the index takes it in (about 0.25 s at
# 100,000 agreements).
SEARCH_INDEX_REFRESH_SECONDS = env_float("SEARCH_INDEX_REFRESH_SECONDS", 0.5)
# Where the processes of a machine share one copy of the search index
# (registry.index_store); empty: each process keeps its own in memory.
SEARCH_INDEX_DIR = env_str(
    "SEARCH_INDEX_DIR", str(Path(tempfile.gettempdir()) / "usjp-search-index")
)

# One cache for every process of a machine or a cluster when REDIS_URL is set (figures,
# and the anonymous limits, which then hold across processes); local memory, per
# process, otherwise.
REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "usjp",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}
# How long a search's figures stay cached. Any change to what is published moves the
# search index's version, which is part of the key, so this only bounds memory.
INSIGHTS_CACHE_SECONDS = env_int("INSIGHTS_CACHE_SECONDS", 24 * 3600)

# The API (registry/api): read-only for everyone, writes for staff with the model's
# permissions. Anonymous reads are throttled per address; "0" or "" turns that off.
API_ANON_RATE = env_rate("API_ANON_RATE", "120/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous write is answered 401 with how to authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "registry.api.permissions.StaffWritesModelPermissions"
    ],
    "DEFAULT_THROTTLE_CLASSES": ["registry.api.throttling.AnonymousThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.views.json_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "U.S.–Japan Research Partnership Registry API",
    "DESCRIPTION": (
        "Read-only for everyone: published agreements, institutions, organizations, "
        "programs, disciplines, activities, sources and case studies, searched with "
        "the parameters of the public pages. Writes for staff, with the admin's "
        "rules.\n\nLanguage: every record carries its names in English (`name`, "
        "`title`) and Japanese (`name_ja`, `title_ja`). Labels the server writes "
        "(stats groups' `label`, identifier schemes, record links) follow `?lang=ja` "
        "or `?lang=en`, else the `Accept-Language` header, else English."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page works offline: its scripts come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Then the responses every operation can give (401, 403, 404, 429…) and who may
    # call it (registry.api.schema): what the server does, so schemathesis agrees.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.document_common_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ParticipantRoleEnum": "registry.models.ParticipantRole",
        "PartnerRoleEnum": "registry.models.PartnerRole",
    },
}

# Logs go to standard error, one JSON object a line (LOG_FORMAT=text for people):
# each request once, with its id, status and duration (registry.operations).
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "registry.operations.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Bulk uploads (registry/imports): a larger file or one with more rows is refused before
# any row is read, with a message saying the limit.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 25 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50000)
# The admin keeps an uploaded file between its preview and the confirmation here.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.TempFolderStorage"
# Importing needs the model's add permission, exporting its view permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
