"""manage.py serve (what make run starts) brings a dead task worker back and says so."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from annotations.management.commands.serve import (
    KEEP_ALIVE_SECONDS,
    WORKER_RESTARTED,
    _web_command,
)
from annotations.views.annotate import POLL_SECONDS

ROOT = Path(__file__).resolve().parent.parent
PIDS = (
    "from annotations.models import WorkerHeartbeat\n"
    "print(sorted(WorkerHeartbeat.objects.values_list('pid', flat=True)))"
)


def _worker_pids(env: dict) -> list[int]:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PIDS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return eval(done.stdout.strip().splitlines()[-1])  # a list of ints we printed


@pytest.mark.django_db
def test_serve_starts_a_killed_worker_again(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("make run is the embedded (SQLite) setup")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "DEBUG": "1",
        "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "HERLENS_WORKER_LEASE": "3",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", "8188"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (pids := _worker_pids(env)):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        os.kill(pids[0], signal.SIGKILL)  # the fault: the worker dies, the server runs on
        deadline = time.monotonic() + 60
        while WORKER_RESTARTED.format(count=1) not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            assert serve.poll() is None, log.read_text()
            time.sleep(0.2)
        while not (new := [pid for pid in _worker_pids(env) if pid != pids[0]]):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert "The task worker stopped (exit code -9)" in log.read_text()
        assert new
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()


def test_the_web_server_keeps_a_polling_browser_s_connection_open(tmp_path):
    # The annotate page polls every POLL_SECONDS: with the connection still open, the next
    # poll goes out on it instead of paying for a new one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
    }
    web = subprocess.Popen(
        _web_command("127.0.0.1", str(port), development=False),
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                assert web.poll() is None
                time.sleep(0.1)
        browser = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        browser.request("GET", "/accounts/login/")
        browser.getresponse().read()
        first = browser.sock
        time.sleep(POLL_SECONDS + 0.5)
        # A connection the server had closed would fail here (RemoteDisconnected).
        browser.request("GET", "/accounts/login/")
        browser.getresponse().read()
        assert browser.sock is first
        assert KEEP_ALIVE_SECONDS > POLL_SECONDS
        browser.close()
    finally:
        web.terminate()
        web.wait(timeout=10)
