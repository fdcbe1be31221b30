from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

WORKER_DIED = "The task worker stopped (exit code {code}); starting it again in {delay:.0f} s."
WORKER_RESTARTED = "Task worker started again (restart {count})."
#: Restart delays grow from the first to the last, then stay there (a worker that dies at
#: once, e.g. on a broken setting, must not spin the CPU).
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
#: A worker that ran this long counts as healthy again: its next restart is quick.
HEALTHY_AFTER = 60.0
#: The web server make run starts: one process of 16 threads. On SQLite, writers from two
#: processes wait for each other in SQLite's busy handler (sleeps of up to 100 ms): 20
#: requests/s with 2 x 8 threads against 89 with 1 x 16 for 50 clients (bench/load.py).
WEB_WORKERS = 1
WEB_THREADS = 16
#: How long an idle connection stays open: longer than the annotate page's live poll
#: interval (3 s, views/annotate.py), so a browser sends its next poll on the same
#: connection. gunicorn's 2 s closed it between polls, and every poll paid for a new
#: connection (bench/class_mode.py measures both).
KEEP_ALIVE_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Serve herlens and its task worker together; a worker that stops is started again. "
        "Ctrl-C (or SIGTERM) stops both."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--runserver",
            action="store_true",
            help="Serve with Django's development server instead of gunicorn.",
        )
        parser.add_argument(
            "--gunicorn", action="store_true", help="Serve with gunicorn (the default)."
        )

    def handle(self, *args, port: str, host: str, runserver: bool, gunicorn: bool, **options):
        manage = _manage_py()
        web_command = _web_command(host, port, development=runserver and not gunicorn)
        # No autoreload for the worker: a restart by the reloader would leave its task behind.
        worker_command = [sys.executable, manage, "worker", "--no-reload"]
        worker = subprocess.Popen(worker_command)
        worker_started = time.monotonic()
        web = subprocess.Popen(web_command)
        stopping = False
        restarts = 0
        failures_in_a_row = 0
        restart_at: float | None = None

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            self.style.SUCCESS(f"herlens is at http://{host}:{port}/ (Ctrl-C stops it)")
        )
        while not stopping and web.poll() is None:
            if restart_at is None and worker.poll() is not None:
                if time.monotonic() - worker_started >= HEALTHY_AFTER:
                    failures_in_a_row = 0
                delay = RESTART_DELAYS[min(failures_in_a_row, len(RESTART_DELAYS) - 1)]
                failures_in_a_row += 1
                self.stderr.write(WORKER_DIED.format(code=worker.returncode, delay=delay))
                restart_at = time.monotonic() + delay
            if restart_at is not None and time.monotonic() >= restart_at:
                worker = subprocess.Popen(worker_command)
                worker_started = time.monotonic()
                restart_at = None
                restarts += 1
                self.stdout.write(WORKER_RESTARTED.format(count=restarts))
            time.sleep(0.2)
        _stop_all([p for p in (worker, web) if p.poll() is None])
        if not stopping:
            self.stderr.write(
                f"Stopped: the web server exited unexpectedly (code {web.returncode})."
            )
            sys.exit(1)
        self.stdout.write("herlens stopped.")


def _manage_py() -> str:
    return str(Path(settings.BASE_DIR) / "manage.py")


def _web_command(host: str, port: str, *, development: bool) -> list[str]:
    if development:
        return [sys.executable, _manage_py(), "runserver", f"{host}:{port}"]
    # A class of 50 at once: the development server's listen queue holds 10
    # connections and reset some of theirs (measured in bench/load.py); gunicorn
    # with threads takes them all. With DEBUG it reloads on code changes too.
    command = [
        sys.executable, "-m", "gunicorn", "herlens.wsgi", "--bind", f"{host}:{port}",
        "--workers", str(WEB_WORKERS), "--threads", str(WEB_THREADS),
        "--worker-class", "gthread", "--timeout", "60",
        "--keep-alive", str(KEEP_ALIVE_SECONDS),
    ]  # fmt: skip
    if settings.DEBUG and os.environ.get("HERLENS_RELOAD", "1") == "1":
        command.append("--reload")
    return command


def _stop_all(processes: list[subprocess.Popen]) -> None:
    """Ask the processes to stop (SIGINT), then terminate those still running after 10 s."""
    for process in processes:
        # Children in the terminal's process group got Ctrl-C already; this
        # covers a SIGTERM sent to this process alone.
        process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=5)
