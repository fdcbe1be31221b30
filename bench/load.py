"""Load test: 50 people creating, editing and deleting spans on the same 10 documents.

Run: .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--database both] [--no-write]

Two setups, each on loopback ports 8170-8189 only:

* PostgreSQL (``--pg-url``, a database of its own that this script empties): gunicorn with
  4 workers, DEBUG off, as in production;
* SQLite: what ``make run`` starts (``manage.py serve``: gunicorn, one process of 16
  threads, and the task worker, DEBUG on), on a throw-away database file.

Each client is an editor of one project with 10 documents and, for ``--seconds``, picks
at random: create a span (htmx form or API with an Idempotency-Key), change a span's
note or tag (htmx or API PATCH, sending the version it last saw), delete a span (htmx or
API). Edits and deletes go to spans any client made, so requests race on the same rows.

Afterwards the database is checked against what the server acknowledged:

* no 5xx answer, and every answer one of the documented ones (2xx, 404, 409);
* every span acknowledged as created exists exactly once, unless a delete of it was
  acknowledged; every acknowledged delete is gone; no span exists that nobody made;
* every surviving span holds the last acknowledged edit (the one with the highest version).

Requests per second and p50/p95/p99 per endpoint replace the "Load: 50 clients" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, bench_env, fresh_postgres, replace_section, stop_group, wait_for_port

PG_PORT, SQLITE_PORT = 8170, 8171
DOCUMENTS = 10
SECTION = "Load: 50 clients"
WORDS = ("film", "voice", "machine", "screen", "city", "light", "lonely", "future", "letter")
TAGS = ("claim", "prediction", "film-reference")

# Run in a child process with the target database's settings: builds the class of editors.
SETUP = r"""
import json, random, sys
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
from annotations.models import Membership, Role
clients, words = json.loads(sys.argv[-1])
User = get_user_model()
owner = User.objects.create_user("load-owner", password="load-owner-password")
project = project_create(name="Load", owner=owner)
rng = random.Random(7)
documents = []
for number in range(10):
    text = "\n\n".join(
        " ".join(rng.choice(words) for _ in range(60)).capitalize() + "." for _ in range(8)
    )
    documents.append(document_create(
        project=project, title=f"Essay {number}", text=text, suggest=False))
people = []
for number in range(clients):
    user = User.objects.create_user(f"editor{number:02d}", password="load-editor-password")
    Membership.objects.create(user=user, project=project, role=Role.EDITOR)
    _token, raw = api_token_create(user=user, name="load")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    people.append({"id": user.pk, "token": raw, "session": session.session_key})
print(json.dumps({
    "documents": [{"id": d.pk, "text": d.text} for d in documents],
    "people": people,
}))
"""

STATE = r"""
import json
from annotations.models import Span
fields = ["id", "document_id", "start", "end", "tag__slug", "author_id", "note"]
versioned = any(f.name == "version" for f in Span._meta.get_fields())
rows = [(*row, row[-1] if versioned else 0) for row in
        Span.objects.values_list(*fields, "version" if versioned else "id")]
print(json.dumps(rows))
"""


@dataclass
class Ledger:
    """What the server acknowledged, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    created: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    deleted: set[int] = field(default_factory=set)
    #: span id -> (version, note, tag) of the acknowledged edit with the highest version
    edits: dict[int, tuple[int, str, str]] = field(default_factory=dict)
    known: dict[int, int] = field(default_factory=dict)  # span id -> last version seen
    unexpected: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, endpoint: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            self.statuses[endpoint][status] += 1


class Client:
    def __init__(self, port: int, person: dict, documents: list[dict], ledger: Ledger, seed: int):
        self.port = port
        self.person = person
        self.documents = documents
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.csrf = secrets.token_hex(16)  # 32 characters: Django accepts it unmasked
        self.connection: http.client.HTTPConnection | None = None

    def request(self, endpoint: str, method: str, path: str, *, form=None, body=None,
                headers=None) -> tuple[int, dict, bytes]:  # fmt: skip
        headers = dict(headers or {})
        if form is not None:
            payload = urllib.parse.urlencode(form).encode()
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "X-CSRFToken": self.csrf,
                "Cookie": f"sessionid={self.person['session']}; csrftoken={self.csrf}",
            }
        else:
            payload = json.dumps(body).encode() if body is not None else None
            headers |= {
                "Authorization": f"Bearer {self.person['token']}",
                "Content-Type": "application/json",
            }
        started = time.perf_counter()
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                self.connection.close()
                self.connection = None
                if attempt:
                    self.ledger.record(endpoint, 599, time.perf_counter() - started)
                    with self.ledger.lock:
                        self.ledger.errors.append(f"{endpoint}: {type(error).__name__}")
                    return 599, {}, b""
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        self.ledger.record(endpoint, response.status, time.perf_counter() - started)
        if response.status >= 500 or response.status not in EXPECTED[endpoint]:
            with self.ledger.lock:
                self.ledger.unexpected.append(
                    f"{endpoint} {response.status}: {data[:200].decode(errors='replace')}"
                )
        return response.status, dict(response.getheaders()), data

    # ---- the actions -------------------------------------------------------------------

    def _place(self) -> tuple[dict, int, int]:
        document = self.rng.choice(self.documents)
        text = document["text"]
        start = self.rng.randrange(0, len(text) - 40)
        while start and text[start - 1] != " ":
            start -= 1
        end = start + self.rng.randint(4, 30)
        while text[end - 1] in " \n":
            end -= 1
        return document, start, end

    def create_htmx(self) -> None:
        document, start, end = self._place()
        status, headers, _data = self.request(
            "htmx create",
            "POST",
            f"/documents/{document['id']}/spans/",
            form={"start": start, "end": end, "tag": self.rng.choice(TAGS),
                  "quote": document["text"][start:end]},
        )  # fmt: skip
        if status in (200, 201):
            trigger = headers.get("HX-Trigger-After-Settle") or headers.get("HX-Trigger") or "{}"
            span_id = json.loads(trigger)["spansChanged"]["span"]
            self._acknowledge_create(span_id, status == 201, 1)

    def create_api(self) -> None:
        document, start, end = self._place()
        key = secrets.token_hex(8)
        body = {"start": start, "end": end, "tag": self.rng.choice(TAGS)}
        path = f"/api/v1/documents/{document['id']}/spans"
        status, _headers, data = self.request(
            "API create", "POST", path, body=body, headers={"Idempotency-Key": key}
        )
        if status == 201 and self.rng.random() < 0.2:
            # A client that lost the answer retries with the same key: the same span comes back.
            again, _h, repeat = self.request(
                "API create (retry)", "POST", path, body=body, headers={"Idempotency-Key": key}
            )
            if again == 201 and json.loads(repeat)["id"] != json.loads(data)["id"]:
                with self.ledger.lock:
                    self.ledger.unexpected.append("a retried key made a second span")
        if status in (200, 201):
            out = json.loads(data)
            self._acknowledge_create(out["id"], status == 201, out.get("version", 1))

    def _acknowledge_create(self, span_id: int, created: bool, version: int) -> None:
        with self.ledger.lock:
            if created:
                self.ledger.created[span_id] += 1
            self.ledger.known.setdefault(span_id, version)

    def _target(self) -> tuple[int, int] | None:
        with self.ledger.lock:
            alive = [s for s in self.ledger.known if s not in self.ledger.deleted]
            if not alive:
                return None
            span_id = self.rng.choice(alive[-200:])
            return span_id, self.ledger.known[span_id]

    def _acknowledge_edit(self, span_id: int, version: int, note: str, tag: str) -> None:
        with self.ledger.lock:
            best = self.ledger.edits.get(span_id)
            if best is not None and best[0] == version:
                self.ledger.unexpected.append(
                    f"two edits of span {span_id} acknowledged as v{version}"
                )
            if best is None or version > best[0]:
                self.ledger.edits[span_id] = (version, note, tag)
            if version > self.ledger.known.get(span_id, 0):
                self.ledger.known[span_id] = version

    def _learn(self, span_id: int, data: bytes) -> None:
        """A 409 carries the current version: take it, as the page does with "use mine"."""
        try:
            current = json.loads(data).get("current", {})
        except ValueError:
            return
        if "version" in current:
            with self.ledger.lock:
                self.ledger.known[span_id] = max(
                    self.ledger.known.get(span_id, 0), current["version"]
                )

    def _edit_target(self) -> tuple[int, int, str, str] | None:
        """A span to edit, the version this client last saw, and a new note and tag."""
        target = self._target()
        if target is None:
            return None
        return (*target, f"note {secrets.token_hex(4)}", self.rng.choice(TAGS))

    def edit_htmx(self) -> None:
        if (edit := self._edit_target()) is None:
            return
        span_id, version, note, tag = edit
        status, headers, _data = self.request(
            "htmx edit",
            "POST",
            f"/spans/{span_id}/edit/",
            form={"note": note, "tag": tag, "version": version},
        )
        if status == 200:
            self._acknowledge_edit(
                span_id, int(headers.get("X-Span-Version", version + 1)), note, tag
            )

    def edit_api(self) -> None:
        if (edit := self._edit_target()) is None:
            return
        span_id, version, note, tag = edit
        status, _headers, data = self.request(
            "API edit", "PATCH", f"/api/v1/spans/{span_id}", body={"note": note, "tag": tag},
            headers={"If-Match": f'"{version}"'},
        )  # fmt: skip
        if status == 200:
            out = json.loads(data)
            self._acknowledge_edit(
                span_id, out.get("version", version + 1), out["note"], out["tag"]
            )
        elif status == 409:
            self._learn(span_id, data)

    def delete_htmx(self) -> None:
        target = self._target()
        if target is None:
            return
        status, _h, _d = self.request("htmx delete", "POST", f"/spans/{target[0]}/delete/", form={})
        if status == 200:
            with self.ledger.lock:
                self.ledger.deleted.add(target[0])

    def delete_api(self) -> None:
        target = self._target()
        if target is None:
            return
        status, _h, _d = self.request("API delete", "DELETE", f"/api/v1/spans/{target[0]}")
        if status == 204:
            with self.ledger.lock:
                self.ledger.deleted.add(target[0])

    def run(self, deadline: float) -> None:
        actions = [
            (self.create_htmx, 30),
            (self.create_api, 20),
            (self.edit_htmx, 15),
            (self.edit_api, 15),
            (self.delete_htmx, 10),
            (self.delete_api, 10),
        ]
        functions, weights = zip(*actions, strict=True)
        while time.monotonic() < deadline:
            try:
                self.rng.choices(functions, weights)[0]()
            except Exception as error:  # a broken answer is a finding, not a crash of the bench
                with self.ledger.lock:
                    self.ledger.errors.append(f"{type(error).__name__}: {error}")


#: What each endpoint may answer under this load: created/ok, gone (404) or conflict (409).
EXPECTED = {
    "htmx create": {200, 201},
    "API create": {200, 201},
    "API create (retry)": {201},
    # 400: the new tag would make the span a twin of another span of the same reader.
    "htmx edit": {200, 400, 404, 409},
    "API edit": {200, 400, 404, 409},
    "htmx delete": {200, 404},
    "API delete": {204, 404},
}


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, input=stdin,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def shell(env: dict, code: str, argument: str = "") -> str:
    script = f"import sys\nsys.argv.append({argument!r})\n{code}"
    return manage(env, "shell", "--no-imports", "-c", script).strip().splitlines()[-1]


def start_server(kind: str, env: dict, port: int, log: Path) -> subprocess.Popen:
    if kind == "postgres":
        command = [sys.executable, "-m", "gunicorn", "herlens.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--workers", "4", "--timeout", "60", "--access-logfile", "-", "--access-logformat", "%(m)s %(U)s %(s)s %(L)s"]  # fmt: skip
    else:
        command = [sys.executable, "manage.py", "serve", "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    wait_for_port(port, 60)
    return server


def check(ledger: Ledger, rows: list) -> dict[str, int]:
    """Compare the database with what was acknowledged; return counts of each kind of fault."""
    spans = {row[0]: row for row in rows}
    faults = {
        "5xx": sum(n for codes in ledger.statuses.values() for c, n in codes.items() if c >= 500),
        "unexpected answers": len(ledger.unexpected),
        "acknowledged creates lost": 0,
        "created twice": sum(1 for count in ledger.created.values() if count > 1),
        "acknowledged deletes undone": 0,
        "acknowledged edits lost": 0,
        "spans nobody made": 0,
        "client errors": len(ledger.errors),
    }
    for span_id in ledger.created:
        if span_id not in spans and span_id not in ledger.deleted:
            faults["acknowledged creates lost"] += 1
    for span_id in ledger.deleted:
        if span_id in spans:
            faults["acknowledged deletes undone"] += 1
    for span_id, (version, note, tag) in ledger.edits.items():
        row = spans.get(span_id)
        if row is not None and (row[6], row[4], row[7]) != (note, tag, version):
            faults["acknowledged edits lost"] += 1
    faults["spans nobody made"] = sum(1 for span_id in spans if span_id not in ledger.known)
    return faults


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def run(kind: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"herlens-load-{kind}-"))
    env = {
        **os.environ,
        **bench_env(workdir),
        "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    port = PG_PORT if kind == "postgres" else SQLITE_PORT
    if kind == "postgres":
        env["DATABASE_URL"] = args.pg_url
        fresh_postgres(args.pg_url)
    else:
        env.pop("DATABASE_URL", None)
        env["DEBUG"] = "1"  # as make run
    server = None
    try:
        manage(env, "migrate", "--verbosity", "0")
        if kind == "postgres":
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        world = json.loads(shell(env, SETUP, json.dumps([args.clients, list(WORDS)])))
        server = start_server(kind, env, port, workdir / "server.log")
        ledger = Ledger()
        clients = [
            Client(port, person, world["documents"], ledger, seed=n)
            for n, person in enumerate(world["people"])
        ]
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rows = json.loads(shell(env, STATE))
    finally:
        if server is not None:
            stop_group(server)
    faults = check(ledger, rows)
    total = sum(len(v) for v in ledger.latencies.values())
    result = {
        "kind": kind,
        "elapsed": elapsed,
        "requests": total,
        "rps": total / elapsed,
        "faults": faults,
        "endpoints": {
            name: {
                "count": len(values),
                "rps": len(values) / elapsed,
                "p50": percentile(values, 0.50) * 1000,
                "p95": percentile(values, 0.95) * 1000,
                "p99": percentile(values, 0.99) * 1000,
                "statuses": dict(sorted(ledger.statuses[name].items())),
            }
            for name, values in sorted(ledger.latencies.items())
        },
        "spans": len(rows),
        "unexpected": ledger.unexpected[:10],
        "errors": ledger.errors[:10],
    }
    if not any(faults.values()) and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        result["log"] = str(workdir / "server.log")
    return result


def markdown(results: list[dict], args) -> str:
    names = {"postgres": "PostgreSQL, gunicorn 4 workers (DEBUG off)",
             "sqlite": "SQLite, `make run` (gunicorn 1 process x 16 threads + worker, DEBUG on)"}  # fmt: skip
    lines = [
        f"Run `python bench/load.py --seconds {args.seconds:.0f}` (CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other work, {args.clients} clients on loopback, "
        f"{time.strftime('%Y-%m-%d')}). Each client is an editor on the same {DOCUMENTS} documents: "
        "30% htmx creates, 20% API creates (a fifth retried with the same Idempotency-Key), "
        "15% htmx edits, 15% API edits (with the version last seen), 10% htmx and 10% API "
        "deletes, on spans any client made. 404 and 409 are the documented answers to a "
        "span deleted or changed meanwhile, 400 to a new tag that would make the span a "
        "twin of another span of the same reader.",
        "",
    ]
    for result in results:
        faults = result["faults"]
        lines += [
            f"**{names[result['kind']]}**: {result['requests']:,} requests in "
            f"{result['elapsed']:.0f} s = **{result['rps']:.0f} requests/s**; "
            f"{result['spans']:,} spans at the end.",
            "",
            "| endpoint | requests | per s | p50 ms | p95 ms | p99 ms | answers |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, e in result["endpoints"].items():
            answers = ", ".join(f"{code}: {n}" for code, n in e["statuses"].items())
            lines.append(
                f"| {name} | {e['count']:,} | {e['rps']:.1f} | {e['p50']:.0f} | {e['p95']:.0f} "
                f"| {e['p99']:.0f} | {answers} |"
            )
        lines += [
            "",
            "Invariants: "
            + ", ".join(f"{name} **{count}**" for name, count in faults.items())
            + ".",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--database", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("HERLENS_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hl_ops_load"),
        help="An empty PostgreSQL database of its own: the script drops its schema.",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="Keep the server's log.")
    parser.add_argument("--no-write", action="store_true", help="Do not update docs/benchmarks.md.")
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.seconds <= 600:
        parser.error("use at most 100 clients and 600 seconds (a shared machine)")
    kinds = ["postgres", "sqlite"] if args.database == "both" else [args.database]
    results = [run(kind, args) for kind in kinds]
    for result in results:
        print(json.dumps(result, indent=1))
    if not args.no_write and args.database == "both":
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, markdown(results, args))
    bad = [r for r in results if any(r["faults"].values())]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
