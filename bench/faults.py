"""Fault drills: what herlens does when its database restarts, its worker is killed, or it runs twice.

Run (as root or as the postgres user; needs PostgreSQL 15's binaries):
    .venv/bin/python bench/faults.py [--seconds 30] [--no-write]

Everything runs on a throw-away PostgreSQL instance of its own (initdb in a temporary
directory, port 8189, socket in /tmp), never the machine's main cluster, and on loopback
ports 8172-8179; the instance is stopped and deleted at the end.

1. PostgreSQL restarts during load: 20 clients create, edit and delete spans (bench/load.py's
   clients) against gunicorn (4 workers) while ``pg_ctl restart`` runs; measured: seconds
   without service, requests that failed, and afterwards the load's invariants (nothing
   half-written, no acknowledged write lost). The task worker must still be the same
   process and run a task queued after the restart.
2. ``kill -9`` of the worker in the middle of an import (1,500 texts in a zip) and in the
   middle of a project's suggestion run: a second worker takes the work over once the
   lease (5 s here) runs out; the work completes once in effect and the pages say so.
3. Two web processes and two workers on one PostgreSQL: a span written through one web
   process is read through the other at once; 200 queued suggestion runs are shared by
   both workers and none runs twice.

Results replace the "Fault drills" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import load
from common import ROOT, bench_env, replace_section, stop_group, wait_for_port

PG_BIN = Path(os.environ.get("HERLENS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = 8189
WEB_PORTS = (8172, 8173)
LEASE = 5
SECTION = "Fault drills"


# ---- a PostgreSQL of our own ---------------------------------------------------------------


class Postgres:
    """A throw-away cluster: initdb in a temporary directory, trust auth, loopback only."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="hl-ops-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            shutil.chown(self.directory, user="postgres")
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}/herlens"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        if self.user is not None:
            uid = pwd.getpwnam(self.user).pw_uid
            gid = pwd.getpwnam(self.user).pw_gid

            def demote() -> None:
                os.setgid(gid)
                os.setuid(uid)

            return subprocess.run(
                command, check=check, capture_output=True, text=True, preexec_fn=demote,
                cwd=self.directory, timeout=120,
            )  # fmt: skip
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {PG_PORT} -k /tmp -c listen_addresses=127.0.0.1"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "-t", "60", action, *extra)  # fmt: skip

    def start(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--no-sync")  # fmt: skip
        self._pg_ctl("start")
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT),
                  "-U", "postgres", "herlens")  # fmt: skip

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if self.data.exists():
            self._pg_ctl("stop", "-m", "fast")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


# ---- helpers -------------------------------------------------------------------------------


def app_env(workdir: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **bench_env(workdir),
        "DATABASE_URL": database_url,
        "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "HERLENS_WORKER_LEASE": str(LEASE),
        "PYTHONUNBUFFERED": "1",
    }


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    process = start(
        [sys.executable, "-m", "gunicorn", "herlens.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--timeout", "60"],
        env, log,
    )  # fmt: skip
    time.sleep(1)
    if process.poll() is not None:
        raise RuntimeError(f"gunicorn on port {port} exited; see {log}")
    wait_for_port(port, 60)
    return process


def worker(env: dict, name: str, log: Path) -> subprocess.Popen:
    return start(
        [sys.executable, "manage.py", "worker", "--no-reload", "--interval", "0.2",
         "--no-startup-delay", "--worker-id", name],
        env, log,
    )  # fmt: skip


def shell(env: dict, code: str) -> str:
    return load.shell(env, code)


def wait_until(condition, seconds: float, what: str, every: float = 0.3):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what}: not after {seconds:.0f} s")


# ---- drill 1: the database restarts under load -----------------------------------------------


def drill_restart(pg: Postgres, workdir: Path, seconds: float) -> dict:
    env = app_env(workdir, pg.url)
    load.manage(env, "migrate", "--verbosity", "0")
    load.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    world = json.loads(load.shell(env, load.SETUP, json.dumps([20, list(load.WORDS)])))
    web = gunicorn(env, WEB_PORTS[0], workdir / "web.log")
    task_worker = worker(env, "restart-drill", workdir / "worker.log")
    ledger = load.Ledger()
    # During the restart any request may fail: that is what is counted, not a finding.
    for name in load.EXPECTED:
        load.EXPECTED[name] = load.EXPECTED[name] | {503}
    clients = [
        load.Client(WEB_PORTS[0], person, world["documents"], ledger, seed=n)
        for n, person in enumerate(world["people"])
    ]
    timeline: list[tuple[float, int]] = []
    original_record = ledger.record

    def record(endpoint: str, status: int, took: float) -> None:
        original_record(endpoint, status, took)
        with ledger.lock:
            timeline.append((time.monotonic(), status))

    ledger.record = record  # type: ignore[method-assign]
    try:
        started = time.monotonic()
        deadline = started + seconds
        threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
        for thread in threads:
            thread.start()
        time.sleep(seconds / 3)
        restart_began = time.monotonic()
        pg.restart()
        restart_done = time.monotonic()
        for thread in threads:
            thread.join()
        # The worker lived through it and still works.
        survived = task_worker.poll() is None
        shell(
            env,
            "from annotations.models import Document\n"
            "from annotations.services.suggestions import suggestion_run_enqueue\n"
            "suggestion_run_enqueue(document=Document.objects.first())\n"
            "print('queued')",
        )
        check = (
            "from annotations.models import Document, RunStatus\n"
            "print(Document.objects.first().suggestion_run.status)"
        )
        wait_until(lambda: shell(env, check) == RunStatus_DONE, 60, "task after the restart")
        rows = json.loads(load.shell(env, load.STATE))
    finally:
        stop_group(web)
        stop_group(task_worker)
    failed = [(at, status) for at, status in timeline if status >= 500]
    after = [at for at, status in timeline if at > restart_began and status < 500]
    first_ok_after = min((at for at in after if at > restart_done), default=None)
    last_failure = max((at for at, _s in failed), default=restart_began)
    faults = load.check(ledger, rows)
    # A create can commit just before the database goes away and its answer with it: the
    # client got a 503 ("may not have been saved"); sending it again returns the same span.
    faults["created, answer lost to the restart"] = faults.pop("spans nobody made")
    faults.pop("5xx")
    faults.pop("unexpected answers")
    faults.pop("client errors")
    return {
        "requests": len(timeline),
        "failed": len(failed),
        "failed_statuses": sorted({status for _at, status in failed}),
        "restart_seconds": restart_done - restart_began,
        "outage_seconds": max(0.0, last_failure - restart_began),
        "first_ok_after_restart": (first_ok_after - restart_done) if first_ok_after else None,
        "worker_survived": survived,
        "faults": faults,
        "unexpected": [u for u in ledger.unexpected if " 5" not in u[:20]][:5],
        "unexpected_count": len(ledger.unexpected),
        "statuses": {name: dict(codes) for name, codes in ledger.statuses.items()},
    }


RunStatus_DONE = "done"


# ---- drill 2: kill -9 the worker mid-import and mid-suggestion -----------------------------


IMPORT_SETUP = r"""
import sys
from django.contrib.auth import get_user_model
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
from annotations.models import ImportJob, ImportUpload
from annotations.tasks import import_job_run
owner = get_user_model().objects.get_or_create(username="drill-owner")[0]
project = project_create(name="Kill drill " + sys.argv[-1], owner=owner)
job = ImportJob.objects.create(project=project, created_by=owner)
ImportUpload.objects.create(job=job, name="essays.zip", data=open(sys.argv[-1], "rb").read())
import_job_run.enqueue(job.pk)
print(job.pk)
"""

SUGGEST_SETUP = r"""
import sys
from django.contrib.auth import get_user_model
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
owner = get_user_model().objects.get_or_create(username="drill-owner")[0]
project = project_create(name="Suggest drill", owner=owner, slug="suggest-drill")
words = "The film will surely be remembered by 2035, critics argue, because its voice matters. "
documents = [document_create(project=project, title=f"Essay {n}",
             text=(words * 60) + f" Essay number {n}.", suggest=False) for n in range(int(sys.argv[-1]))]
suggestion_runs_enqueue(documents=documents)
print(project.pk)
"""

SUGGEST_STATE = r"""
from collections import Counter
from annotations.models import SuggestionRun, Suggestion
from django_tasks_db.models import DBTaskResult
runs = Counter(SuggestionRun.objects.filter(document__project__slug="suggest-drill").values_list("status", flat=True))
tasks = list(DBTaskResult.objects.filter(task_path__endswith="suggest_documents").values_list("status", "worker_ids"))
places = Suggestion.objects.filter(document__project__slug="suggest-drill")
print(dict(runs), sorted(Counter(s for s, _w in tasks).items()), sum(len(w) for _s, w in tasks),
      places.count(), places.values("document", "start", "end", "tag").distinct().count())
"""


def _zip(files: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(files):
            words = " ".join(f"word{number}x{i}" for i in range(400))
            archive.writestr(f"essay-{number:04d}.txt", f"Essay {number}. {words}.")
    return buffer.getvalue()


def drill_kill(pg: Postgres, workdir: Path) -> dict:
    env = app_env(workdir, pg.url)
    archive = workdir / "essays.zip"
    archive.write_bytes(_zip(1500))
    results: dict = {}
    web = gunicorn(env, WEB_PORTS[0], workdir / "web-kill.log")
    first = second = None
    try:
        # --- the import
        job_id = int(load.shell(env, IMPORT_SETUP, str(archive)))
        status = (
            "from annotations.models import ImportJob, Document, ImportUpload\n"
            f"job = ImportJob.objects.get(pk={job_id})\n"
            "texts = list(Document.objects.filter(project=job.project).values_list('text', flat=True))\n"
            "print(job.status, len(texts), len(set(texts)), ImportUpload.objects.filter(job=job).count())"
        )
        first = worker(env, "import-a", workdir / "worker-a.log")
        wait_until(lambda: shell(env, status).startswith("running"), 120, "import started")
        time.sleep(1.0)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        at_kill = shell(env, status).split()
        second = worker(env, "import-b", workdir / "worker-b.log")
        final = wait_until(
            lambda: (s := shell(env, status).split())[0] in {"done", "failed"} and s,
            300,
            "import finished after the kill",
        )
        results["import"] = {
            "at_kill": at_kill,
            "final": final,
            "recovered_seconds": time.monotonic() - killed_at,
        }
        stop_group(second)
        second = None
        # --- the suggestion run (a project's documents, in tasks of 64)
        load.shell(env, SUGGEST_SETUP, "192")
        first = worker(env, "suggest-a", workdir / "worker-a.log")
        running = (
            "from annotations.models import SuggestionRun\n"
            "print(SuggestionRun.objects.filter(document__project__slug='suggest-drill', "
            "status='running').count())"
        )
        wait_until(lambda: int(shell(env, running)) > 0, 120, "suggestions started", every=0.1)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        at_kill = shell(env, SUGGEST_STATE)
        second = worker(env, "suggest-b", workdir / "worker-b.log")
        done = (
            "from annotations.models import SuggestionRun\n"
            "print(SuggestionRun.objects.filter(document__project__slug='suggest-drill')"
            ".exclude(status='done').count())"
        )
        wait_until(lambda: shell(env, done) == "0", 300, "suggestions finished after the kill")
        results["suggest"] = {
            "at_kill": at_kill,
            "final": shell(env, SUGGEST_STATE),
            "recovered_seconds": time.monotonic() - killed_at,
        }
        # The import page tells the truth.
        results["import_page_status"] = _import_page(env, job_id)
    finally:
        stop_group(first)
        stop_group(second)
        stop_group(web)
    return results


def _import_page(env: dict, job_id: int) -> str:
    code = (
        "from annotations.models import ImportJob\nfrom django.test import Client\n"
        f"job = ImportJob.objects.get(pk={job_id})\nc = Client()\nc.force_login(job.created_by)\n"
        "from django.urls import reverse\n"
        "r = c.get(reverse('annotations:import-job', args=[job.project.slug, job.pk]))\n"
        "print(r.status_code, 'Finished' in r.text, 'Importing' in r.text)"
    )
    return shell(env, code)


# ---- drill 3: two web processes, two workers --------------------------------------------------

SHARED_SETUP = r"""
import json
from django.contrib.auth import get_user_model
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
owner = get_user_model().objects.get_or_create(username="drill-owner")[0]
project = project_create(name="Shared drill", owner=owner, slug="shared-drill")
_token, raw = api_token_create(user=owner, name="drill")
words = "The film will surely be remembered by 2035, critics argue. Her (2013) is about a voice. "
documents = [document_create(project=project, title=f"Essay {n}",
             text=(words * 10) + f" Essay number {n}.", suggest=False) for n in range(200)]
print(json.dumps({"token": raw, "document": documents[0].pk}))
"""

SHARED_ENQUEUE = r"""
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
from annotations.models import Document
for document in Document.objects.filter(project__slug="shared-drill"):
    suggestion_run_enqueue(document=document)
print("ok")
"""

SHARED_STATE = r"""
from collections import Counter
from annotations.models import SuggestionRun, Suggestion
from django_tasks_db.models import DBTaskResult
from annotations.models import Document
ids = set(Document.objects.filter(project__slug="shared-drill").values_list("pk", flat=True))
tasks = [(s, w) for s, w, a in DBTaskResult.objects.filter(task_path__endswith="suggest_document")
         .values_list("status", "worker_ids", "args_kwargs") if a["args"][0] in ids]
runs = Counter(SuggestionRun.objects.filter(document__project__slug="shared-drill").values_list("status", flat=True))
places = Suggestion.objects.filter(document__project__slug="shared-drill")
by_worker = Counter(w[-1] for _s, w in tasks if w)
print(len(tasks), sum(1 for s, _w in tasks if s == "SUCCESSFUL"), max((len(w) for _s, w in tasks), default=0),
      dict(runs), dict(by_worker), places.count(), places.values("document", "start", "end", "tag").distinct().count())
"""


def _api(port: int, token: str, method: str, path: str, body=None) -> tuple[int, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def drill_shared(pg: Postgres, workdir: Path) -> dict:
    env = app_env(workdir, pg.url)
    world = json.loads(load.shell(env, SHARED_SETUP))
    webs = [gunicorn(env, port, workdir / f"web-{port}.log") for port in WEB_PORTS]
    workers: list[subprocess.Popen] = []
    try:
        # Written through one web process, read through the other at once.
        seen = []
        for attempt in range(20):
            status, span = _api(
                WEB_PORTS[attempt % 2], world["token"], "POST",
                f"/documents/{world['document']}/spans",
                {"start": attempt * 4, "end": attempt * 4 + 3, "tag": "claim"},
            )  # fmt: skip
            _status, spans = _api(
                WEB_PORTS[(attempt + 1) % 2], world["token"], "GET",
                f"/documents/{world['document']}/spans",
            )  # fmt: skip
            seen.append(status == 201 and any(s["id"] == span["id"] for s in spans))
        # 200 runs queued, then both workers start together.
        shell(env, SHARED_ENQUEUE)
        started = time.monotonic()
        workers = [worker(env, f"shared-{n}", workdir / f"worker-{n}.log") for n in (1, 2)]
        pending = (
            "from annotations.models import SuggestionRun\n"
            "print(SuggestionRun.objects.filter(document__project__slug='shared-drill')"
            ".exclude(status='done').count())"
        )
        wait_until(lambda: shell(env, pending) == "0", 600, "200 runs done", every=1.0)
        took = time.monotonic() - started
        state = shell(env, SHARED_STATE)
    finally:
        for process in workers + webs:
            stop_group(process)
    return {"read_your_write_across_processes": f"{sum(seen)}/{len(seen)}", "runs_seconds": took,
            "state": state}  # fmt: skip


# ---- report --------------------------------------------------------------------------------


def markdown(restart: dict, kill: dict, shared: dict, seconds: float) -> str:
    imp, sug = kill["import"], kill["suggest"]
    lines = [
        f"Run `python bench/faults.py --seconds {seconds:.0f}` (CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other work, PostgreSQL 15 instance of its own, "
        f"worker lease {LEASE} s; {time.strftime('%Y-%m-%d')}).",
        "",
        "| drill | result |",
        "|---|---|",
        f"| PostgreSQL `pg_ctl restart -m fast` under 20 clients | restart took "
        f"{restart['restart_seconds']:.1f} s; requests failed: {restart['failed']} of "
        f"{restart['requests']:,} (answers {', '.join(map(str, restart['failed_statuses'])) or 'none'}), "
        f"all within {restart['outage_seconds']:.1f} s of the restart; first success "
        f"{(restart['first_ok_after_restart'] or 0):.2f} s after it |",
        "| ... afterwards | "
        + ", ".join(f"{k} **{v}**" for k, v in restart["faults"].items())
        + f"; task worker survived: **{restart['worker_survived']}** and ran a task queued after it |",
        f"| `kill -9` of the worker mid-import (1,500 texts) | at the kill: job {imp['at_kill'][0]}, "
        f"{imp['at_kill'][1]} texts stored; after: job **{imp['final'][0]}**, **{imp['final'][1]}** "
        f"texts, {imp['final'][2]} distinct, {imp['final'][3]} uploads left; "
        f"{imp['recovered_seconds']:.0f} s after the kill; import page: {kill['import_page_status']} "
        "(status, says Finished, says Importing) |",
        f"| `kill -9` of the worker mid-suggestion (192 documents, 3 tasks) | at the kill: "
        f"`{sug['at_kill']}`; after: `{sug['final']}` (runs by status; suggestion tasks by "
        "status, the import's 24 included; runs of those tasks; suggestions; distinct places) "
        f"in {sug['recovered_seconds']:.0f} s |",
        f"| two web processes, two workers, one database | a span written through one is read "
        f"through the other at once: {shared['read_your_write_across_processes']}; 200 queued "
        f"runs done in {shared['runs_seconds']:.0f} s: `{shared['state']}` (tasks, successful, "
        "most runs of one task, runs by status, tasks per worker, suggestions, distinct places) |",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="Length of the restart drill.")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the servers' logs.")
    parser.add_argument("--only", choices=["restart", "kill", "shared"], action="append")
    args = parser.parse_args()
    if not 10 <= args.seconds <= 300:
        parser.error("--seconds must be between 10 and 300 (a shared machine)")
    only = set(args.only or ["restart", "kill", "shared"])
    pg = Postgres()
    workdir = Path(tempfile.mkdtemp(prefix="herlens-faults-"))
    results: dict = {}
    try:
        pg.start()
        env = app_env(workdir, pg.url)
        load.manage(env, "migrate", "--verbosity", "0")
        load.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        if "restart" in only:
            results["restart"] = drill_restart(pg, workdir, args.seconds)
            print(json.dumps(results["restart"], indent=1), flush=True)
        if "kill" in only:
            results["kill"] = drill_kill(pg, workdir)
            print(json.dumps(results["kill"], indent=1), flush=True)
        if "shared" in only:
            results["shared"] = drill_shared(pg, workdir)
            print(json.dumps(results["shared"], indent=1), flush=True)
    finally:
        pg.remove()
    if not args.no_write and len(results) == 3:
        replace_section(
            ROOT / "docs" / "benchmarks.md",
            SECTION,
            markdown(results["restart"], results["kill"], results["shared"], args.seconds),
        )
    if args.keep:
        print("logs kept in", workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
