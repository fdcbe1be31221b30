"""Test settings: the real settings module, with a test-only key and fast hashing.

DATABASE_URL chooses the database exactly as in production (SQLite when unset).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
# Tests run the pipeline in their own process (so they can replace it); the child
# process that runs it in production has its own tests.
HERLENS_PIPELINE_IDLE_SECONDS = 0
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Whitenoise looks at STATIC_ROOT when the app starts; collectstatic makes it in production.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    # A file, as in production: an in-memory database shares one cache between threads
    # and locks whole tables, so requests racing each other would fail for the wrong reason.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"herlens-test-{os.getpid()}.sqlite3")
    }

# A project's suggester is trained when a test asks for it, not after every twenty spans.
HERLENS_LEARN_AFTER = 0
# Uploads wait in a folder of the test run's own, not in the working copy's var dir.
HERLENS_UPLOADS_DIR = Path(tempfile.mkdtemp(prefix="herlens-test-uploads-"))
FILE_UPLOAD_TEMP_DIR = str(HERLENS_UPLOADS_DIR / "incoming")
Path(FILE_UPLOAD_TEMP_DIR).mkdir()
