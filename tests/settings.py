"""Test settings: the real settings module, with a test-only key and fast hashing.

DATABASE_URL chooses the database exactly as in production (SQLite when unset).
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from herlens.settings import *  # noqa: E402,F403

# Tests hash many passwords; production keeps Django's default hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Whitenoise looks at STATIC_ROOT when the app starts; collectstatic makes it in production.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# A project's suggester is trained when a test asks for it, not after every twenty spans.
HERLENS_LEARN_AFTER = 0
