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
    "registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "registry.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the admin's history.
    "simple_history.middleware.HistoryRequestMiddleware",
]

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
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SIMPLE_HISTORY_REVERT_DISABLED = False

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
# and later shared limits); local memory, per process, otherwise.
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
API_ANON_RATE = env_str("API_ANON_RATE", "120/min") or None
if API_ANON_RATE == "0":
    API_ANON_RATE = None
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
    "ENUM_NAME_OVERRIDES": {
        "ParticipantRoleEnum": "registry.models.ParticipantRole",
        "PartnerRoleEnum": "registry.models.PartnerRole",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
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
