"""Measure the idle memory of the whole app: gunicorn (master + 1 worker) and the task worker.

Run: .venv/bin/python bench/idle_memory.py [--no-write]

Starts both against a throw-away SQLite database with the demo loaded, requests the
login page a few times so the web worker has imported everything, waits, and sums
the proportional set size (PSS, from /proc/PID/smaps_rollup; RSS where PSS is
unavailable) of every process: once with a worker that has run no task yet, and
once more after it computed the suggestions of the demo project. The worker runs
the pipeline in a child process (spaCy loaded there) that exits after
HERLENS_PIPELINE_IDLE_SECONDS without work; the benchmark sets it to IDLE_SECONDS
and measures the worker while the child is up and again once it has exited, and
what a cold start of the child costs the next task. A bare Python interpreter is
measured the same way as the baseline. Results replace the "Idle memory" section
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, bench_env, free_port, publish, start_gunicorn

#: The child process's idle time in this run (production default: 60 s).
IDLE_SECONDS = 10
RELOAD_RUNS = 5

RELOAD_SCRIPT = """
import json, time, django
django.setup()
from annotations.suggest_process import PipelineProcess
text = "The film Her (2013) will age better than any film of its decade. I think so."
cold, warm = [], []
for _ in range(RUNS):
    runner = PipelineProcess("blank:en", idle_seconds=30)
    began = time.perf_counter(); runner.suggest_many([text]); cold.append(time.perf_counter() - began)
    began = time.perf_counter(); runner.suggest_many([text]); warm.append(time.perf_counter() - began)
    runner.close()
print(json.dumps({"cold": sorted(cold)[len(cold) // 2], "warm": sorted(warm)[len(warm) // 2]}))
"""


def reload_cost(env: dict[str, str]) -> dict[str, float]:
    """Median time of a request to a fresh child (spawn, import spaCy, build) and to a warm one."""
    done = subprocess.run(
        [sys.executable, "-c", RELOAD_SCRIPT.replace("RUNS", str(RELOAD_RUNS))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    """Return pid and its live descendants (an exited child not yet reaped holds no memory)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            children += [int(child) for child in path.read_text().split()]
    return [pid] + [d for child in children if _running(child) for d in descendants(child)]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="herlens-memory-"))
    env = {**os.environ, **bench_env(workdir), "HERLENS_PIPELINE_IDLE_SECONDS": str(IDLE_SECONDS)}
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
        time.sleep(1)
        worker_busy_kib = sum(memory_kib(pid) for pid in descendants(worker.pid))
        busy_processes = len(descendants(worker.pid))
        # The child exits IDLE_SECONDS after its last request.
        deadline = time.monotonic() + IDLE_SECONDS + 30
        while len(descendants(worker.pid)) > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)
        worker_after_kib = sum(memory_kib(pid) for pid in descendants(worker.pid))
        after_processes = len(descendants(worker.pid))
    finally:
        for process in (web, worker, baseline):
            process.terminate()
            process.wait(timeout=10)

    reload = reload_cost(env)

    def mb(kib: int) -> str:
        return f"{kib / 1024:.0f} MB"

    table = (
        "| process | memory (PSS) |\n|---|---|\n"
        f"| web: gunicorn master + 1 worker | {mb(web_kib)} |\n"
        f"| task worker (`db_worker`), before any task | {mb(worker_kib)} |\n"
        f"| **web + worker, idle after start** | **{mb(web_kib + worker_kib)}** |\n"
        f"| task worker right after computing suggestions ({busy_processes} processes: "
        f"worker + pipeline child with spaCy) | {mb(worker_busy_kib)} |\n"
        f"| task worker {IDLE_SECONDS} s later, the child exited ({after_processes} processes: "
        "worker + multiprocessing's resource tracker) "
        f"| {mb(worker_after_kib)} |\n"
        f"| **web + worker, idle after suggestions** | **{mb(web_kib + worker_after_kib)}** |\n"
        f"| baseline: an idle bare Python interpreter | {mb(python_kib)} |\n"
    )
    body = (
        f"Run `python bench/idle_memory.py` (CPython {platform.python_version()}, SQLite, "
        f"{time.strftime('%Y-%m-%d')}). Each extra gunicorn worker adds about one web worker's "
        "share. The worker runs the spaCy pipeline in a child process that exits after "
        f"`HERLENS_PIPELINE_IDLE_SECONDS` without work (default 60 s; {IDLE_SECONDS} s in this "
        "run).\n\n"
        f"{table}\n"
        "The price of giving that memory back: the first task after the child exited starts a "
        f"new one. Median of {RELOAD_RUNS}, one short text: {reload['cold'] * 1000:.0f} ms to a "
        f"fresh child (start Python, import spaCy, build the pipeline) against "
        f"{reload['warm'] * 1000:.0f} ms to a running one, once per burst of suggestions.\n\n"
        "Peers idle (from their published runs): Label Studio 270 MB, doccano 841 MB; Label "
        "Studio held 416 MB after the side-by-side workload. Goal: under 150 MB for web + "
        "worker, also after suggestions.\n"
    )
    publish("Idle memory", body, write=not args.no_write)


if __name__ == "__main__":
    main()
