"""Settings, the deploy check, and the compose file's wiring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "herlens.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_under_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x9!" * 20 + "production-like-secret-key",
        ALLOWED_HOSTS="herlens.example.org",
        CSRF_TRUSTED_ORIGINS="https://herlens.example.org",
        HERLENS_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_empty_database_url_means_the_embedded_sqlite(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        DEBUG="1",
        DATABASE_URL="",
        HERLENS_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "sqlite"


def test_refuses_to_start_without_secret_key_unless_debug(tmp_path):
    result = run_manage("check", HERLENS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    debug = run_manage("check", DEBUG="1", HERLENS_VAR_DIR=str(tmp_path))
    assert debug.returncode == 0, debug.stderr


def test_a_malformed_boolean_is_refused(tmp_path):
    result = run_manage("check", DEBUG="maybe", HERLENS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be 1/0" in result.stderr


def test_database_is_set_up_for_a_web_server_and_a_worker_writing_at_once(settings, db):
    from django.db import connection

    database = settings.DATABASES["default"]
    # Each web worker keeps its connection: opening one per request costs more than a poll.
    assert database["CONN_MAX_AGE"] == 600
    if connection.vendor == "sqlite":
        options = database["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
        assert options["timeout"] >= 5
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
    else:
        assert connection.vendor == "postgresql"
        assert database["CONN_HEALTH_CHECKS"] is True


def test_compose_wires_database_web_and_worker():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}
    db = services["db"]
    assert db["image"].startswith("postgres:16")
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "pgdata" in compose["volumes"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["environment"]["DATABASE_URL"].endswith("@db:5432/herlens")
        assert "SECRET_KEY" in service["environment"]
    assert "migrate" in services["web"]["command"]
    assert "gunicorn herlens.wsgi" in services["web"]["command"]
    assert services["worker"]["command"] == "python manage.py worker --no-reload"
    # A crashed process or a rebooted host must not leave the site without a worker.
    for name in ("db", "web", "worker"):
        assert services[name]["restart"] in {"always", "unless-stopped"}
    assert services["web"]["ports"] == ["8000:8000"]


def test_dockerfile_serves_with_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile
    assert "USER herlens" in dockerfile
    assert 'CMD ["gunicorn", "herlens.wsgi"' in dockerfile
