from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve herlens and its task worker together; Ctrl-C (or SIGTERM) stops both."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--gunicorn", action="store_true", help="Serve with gunicorn instead of runserver."
        )

    def handle(self, *args, port: str, host: str, gunicorn: bool, **options) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        if gunicorn:
            web = [sys.executable, "-m", "gunicorn", "herlens.wsgi", "--bind", f"{host}:{port}"]
        else:
            web = [sys.executable, manage, "runserver", f"{host}:{port}"]
        worker = [sys.executable, manage, "db_worker"]
        processes = [subprocess.Popen(worker), subprocess.Popen(web)]
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            self.style.SUCCESS(f"herlens is at http://{host}:{port}/ (Ctrl-C stops it)")
        )
        while not stopping and all(process.poll() is None for process in processes):
            time.sleep(0.2)
        for process in processes:
            if process.poll() is None:
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
        if not stopping:
            exited = [" ".join(p.args[1:3]) for p in processes if p.returncode not in (None, 0)]
            self.stderr.write(f"Stopped: a process exited unexpectedly ({', '.join(exited)}).")
            sys.exit(1)
        self.stdout.write("herlens stopped.")
