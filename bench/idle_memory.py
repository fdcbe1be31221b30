"""Measure the idle memory of the whole app: gunicorn (master + 1 worker) and the task worker.

Run: .venv/bin/python bench/idle_memory.py [--no-write]

Starts both against a throw-away SQLite database with the demo loaded, requests the
login page a few times so the web worker has imported everything, waits, and sums
the proportional set size (PSS, from /proc/PID/smaps_rollup; RSS where PSS is
unavailable) of every process: once with a worker that has run no task yet, and
once more after it computed the suggestions of the demo project (spaCy loaded).
A bare Python interpreter is measured the same way as the baseline. Results
replace the "Idle memory" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import bench_env, free_port, replace_section, start_gunicorn  # noqa: E402


def memory_kib(pid: int) -> int:
    """Return PSS (or RSS) of one process in KiB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        for line in rollup.read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            children += [int(child) for child in path.read_text().split()]
    return [pid] + [d for child in children for d in descendants(child)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="herlens-memory-"))
    env = {**os.environ, **bench_env(workdir)}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(manage + command, env=env, check=True, stdout=subprocess.DEVNULL)
    # The demo's suggestion tasks run in the loading process, so the worker starts with none.
    immediate = {**env, "HERLENS_TASK_BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    subprocess.run(manage + ["loaddemo"], env=immediate, check=True, stdout=subprocess.DEVNULL)

    baseline = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    port = free_port()
    web = start_gunicorn(ROOT, port, env)
    worker = subprocess.Popen(
        manage + ["db_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(5):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/").read()
        time.sleep(3)
        web_kib = sum(memory_kib(pid) for pid in descendants(web.pid))
        worker_kib = sum(memory_kib(pid) for pid in descendants(worker.pid))
        python_kib = memory_kib(baseline.pid)
        subprocess.run(
            manage + ["suggest", "film-and-ai", "--wait", "--timeout", "120"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(3)
        worker_after_kib = sum(memory_kib(pid) for pid in descendants(worker.pid))
    finally:
        for process in (web, worker, baseline):
            process.terminate()
            process.wait(timeout=10)

    def mb(kib: int) -> str:
        return f"{kib / 1024:.0f} MB"

    table = (
        "| process | memory (PSS) |\n|---|---|\n"
        f"| web: gunicorn master + 1 worker | {mb(web_kib)} |\n"
        f"| task worker (`db_worker`), before any task | {mb(worker_kib)} |\n"
        f"| **web + worker, idle after start** | **{mb(web_kib + worker_kib)}** |\n"
        f"| task worker after computing suggestions (spaCy loaded) | {mb(worker_after_kib)} |\n"
        f"| **web + worker, idle after suggestions** | **{mb(web_kib + worker_after_kib)}** |\n"
        f"| baseline: an idle bare Python interpreter | {mb(python_kib)} |\n"
    )
    body = (
        f"Run `python bench/idle_memory.py` (CPython {platform.python_version()}, SQLite, "
        f"{time.strftime('%Y-%m-%d')}). Each extra gunicorn worker adds about one web worker's share.\n\n"
        f"{table}\n"
        "Peers idle: Label Studio 270 MB, doccano 841 MB. Goal: under 150 MB for web + worker.\n"
    )
    print(body)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", "Idle memory", body)
        print("Updated docs/benchmarks.md")


if __name__ == "__main__":
    main()
