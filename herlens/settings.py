"""herlens settings, read from the environment only.

Every variable is documented in README.md ("Configuration"). Without DEBUG the
settings refuse unsafe defaults: SECRET_KEY must be given, cookies are secure
and HTTPS is enforced unless explicitly switched off.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

import herlens.log

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable, rejecting values that are neither."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or set DEBUG=1 for local development."
        )
    # Only ever used with DEBUG on, on a developer's own machine.
    SECRET_KEY = "herlens-dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "annotations",
]
# The API docs use the Swagger UI files shipped with django-ninja, not a CDN. They are
# found here instead of by listing ninja as an app: that would import ninja and pydantic
# in every management command, a third of its start-up (the web process imports them anyway).
_NINJA_FILES = Path(importlib.util.find_spec("ninja").origin).parent

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: a request over the upload limit is refused unread.
    "annotations.middleware.RequestSizeMiddleware",
    # A database restart answers 503 with Retry-After, not 500.
    "annotations.middleware.DatabaseUnavailableMiddleware",
    # A live poll that finds nothing new: 204 after one query, before sessions and the rest.
    "annotations.middleware.LivePollMiddleware",
    # Pages and fragments go out gzipped (the annotate page of a long essay shrinks five-fold);
    # whitenoise above serves static files pre-compressed. BREACH: the CSRF token is masked
    # afresh in every response and Django pads each gzipped answer with random bytes
    # ("Heal the BREACH"); the page carries no other secret a cross-site attacker could guess
    # at (live and undo tokens only work with the reader's own session).
    # Django's, flushing each piece of a streamed page (the annotate page's first screenful).
    "annotations.middleware.FlushingGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Class mode: accounts made by a teacher must replace their one-time password first.
    "annotations.middleware.OneTimePasswordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After HtmxMiddleware (reads request.htmx), inside MessageMiddleware (which stores the rest).
    "annotations.middleware.HtmxMessagesMiddleware",
    # A failed htmx action answers with a message, not a page (views/errors.py: it answers
    # as the views do, in plain text with their messages).
    "annotations.views.errors.HtmxErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    # A refused query or form number answers 400 with the reason (annotations/params.py).
    "annotations.middleware.BadParameterMiddleware",
    # Wrong passwords from one address, counted across usernames (annotations/throttle.py).
    "annotations.middleware.LoginAddressThrottleMiddleware",
    # Last, as django-axes requires: answers a locked-out log-in with its page.
    "axes.middleware.AxesMiddleware",
]

# Log-in throttling: after HERLENS_LOGIN_FAILURE_LIMIT wrong passwords for one username
# (django-axes), or HERLENS_LOGIN_ADDRESS_LIMIT from one address (a whole classroom may share
# one, hence the higher number; annotations/throttle.py), log-ins are refused for the cool-off
# time, even with the right password. A success resets the username's count. An administrator
# can lift a username's lock at once in the admin ("Access attempts") or with
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("HERLENS_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HERLENS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
HERLENS_LOGIN_ADDRESS_LIMIT = env_int("HERLENS_LOGIN_ADDRESS_LIMIT", 50)
# axes warns that its own lock ignores the address: the address is counted, with its own
# limit, by annotations.middleware.LoginAddressThrottleMiddleware.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address is REMOTE_ADDR unless the operator says how many proxies stand in
# front; a client could otherwise write any address into X-Forwarded-For and never be locked.
AXES_IPWARE_PROXY_COUNT = env_int("HERLENS_TRUSTED_PROXY_COUNT", 0)
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

ROOT_URLCONF = "herlens.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", _NINJA_FILES / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Partials and htmx tags everywhere without {% load %}, as Django 6 does.
            "builtins": [
                "template_partials.templatetags.partials",
                "django_htmx.templatetags.django_htmx",
            ],
        },
    }
]

WSGI_APPLICATION = "herlens.wsgi.application"

#: Where the default SQLite file, uploads waiting for the worker and each project's learned
#: suggester (learned/) live.
HERLENS_VAR_DIR = os.environ.get("HERLENS_VAR_DIR", str(BASE_DIR / "var"))
VAR_DIR = Path(HERLENS_VAR_DIR)
_sqlite_path = VAR_DIR / "herlens.sqlite3"
DATABASES = {
    # An empty DATABASE_URL (as a compose file or a shell may pass) means unset: SQLite.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_sqlite_path}",
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with the threads of one process taking turns to write (see its docstring).
    DATABASES["default"]["ENGINE"] = "herlens.sqlite"
    # The web server and the task worker write at the same time. WAL lets readers
    # go on while one writes; IMMEDIATE takes the write lock at BEGIN, so a busy
    # writer waits (up to the timeout) instead of failing with "database is locked".
    # Each web worker keeps its connection (CONN_MAX_AGE, as on PostgreSQL): opening one
    # and running the pragmas below on every request cost more than a live poll itself.
    # A local file has no server to lose, so no health check.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotations:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static", _NINJA_FILES / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
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

TASKS = {
    "default": {
        "BACKEND": os.environ.get("HERLENS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

#: Seconds a task worker may stay silent (no heartbeat) before its task is taken for an
#: orphan and queued again. Longer than the longest database restart you expect.
HERLENS_WORKER_LEASE = env_int("HERLENS_WORKER_LEASE", 30)

#: The spaCy pipeline the suggestion rules run on: "blank:en" (rules only, no download), the
#: name of an installed spaCy package (en_core_web_sm) or the path of a pipeline directory.
HERLENS_SPACY_MODEL = os.environ.get("HERLENS_SPACY_MODEL", "blank:en").strip() or "blank:en"
#: The task worker runs the pipeline in a child process that exits after this many seconds
#: without work, so spaCy's memory is given back between bursts; 0 runs it in the worker itself.
HERLENS_PIPELINE_IDLE_SECONDS = env_int("HERLENS_PIPELINE_IDLE_SECONDS", 60)
#: New decisions (spans marked, suggestions accepted or rejected) after which a project's
#: suggester is trained again: by the task worker once the project has been quiet for
#: HERLENS_LEARN_QUIET_SECONDS (it looks every HERLENS_LEARN_SWEEP_SECONDS), or when
#: suggestions are next queued for it; 0 turns automatic training off.
HERLENS_LEARN_AFTER = env_int("HERLENS_LEARN_AFTER", 20)
HERLENS_LEARN_QUIET_SECONDS = env_int("HERLENS_LEARN_QUIET_SECONDS", 120)
HERLENS_LEARN_SWEEP_SECONDS = env_int("HERLENS_LEARN_SWEEP_SECONDS", 30)

# Security: safe unless DEBUG is on or an operator switches a piece off
# (for example behind a proxy that terminates TLS and already redirects).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The header alone changes nothing until the domain is submitted to the preload list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, loaded by a query compiled once (annotations/sessions.py).
SESSION_ENGINE = "annotations.sessions"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# Applied here rather than by django.setup(), which would first make Django's default
# handlers, one of which loads the error pages into every command (see herlens/log.py).
LOGGING_CONFIG = None
herlens.log.configure(LOGGING)

# Imports: every limit can be set from the environment (bytes and counts).
HERLENS_IMPORT_LIMITS = {
    "max_file_bytes": env_int("HERLENS_IMPORT_MAX_FILE_BYTES", 100 * 1024 * 1024),
    "max_files": env_int("HERLENS_IMPORT_MAX_FILES", 5000),
    "max_zip_bytes": env_int("HERLENS_IMPORT_MAX_ZIP_BYTES", 1024 * 1024 * 1024),
}

# Uploads: a file over FILE_UPLOAD_MAX_MEMORY_SIZE is written to disk as it arrives, never held
# whole by the web process; the import worker reads it from HERLENS_UPLOADS_DIR (the web
# server and the worker share the var dir). A request larger than everything one import
# may hold is refused before its body is read.
HERLENS_UPLOADS_DIR = VAR_DIR / "uploads"
FILE_UPLOAD_TEMP_DIR = str(HERLENS_UPLOADS_DIR / "incoming")
# Same filesystem as the uploads folder, so a finished upload moves there by a rename.
# On a read-only var dir Django's check (files.E001) names the folder.
with contextlib.suppress(OSError):
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
#: Form fields other than files (what a log-in or a span form sends); files do not count.
#: A pasted document (annotations.forms.PASTE_MAX_BYTES, 2 MB of UTF-8) arrives form-encoded,
#: where a byte outside ASCII takes three; the body may be that large, and no larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = 7 * 1024 * 1024
#: Files one upload form may carry; more go in a .zip.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("HERLENS_UPLOAD_MAX_FILES", 200)
#: Bytes one upload request may carry in all (checked on Content-Length before reading).
HERLENS_UPLOAD_MAX_REQUEST_BYTES = env_int(
    "HERLENS_UPLOAD_MAX_REQUEST_BYTES", HERLENS_IMPORT_LIMITS["max_zip_bytes"]
)

# Content-Security-Policy (django-csp) on every response: scripts only from herlens's own
# static files, so text that slipped through escaping still cannot run. Styles may be inline
# (tag colours are style attributes); no plugins, no framing, forms post only to herlens.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# An htmx action with an expired session or token answers with a message (views/errors.py).
CSRF_FAILURE_VIEW = "annotations.views.errors.csrf_failure"
