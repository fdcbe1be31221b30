"""Benchmark creating one span over HTTP, through the API and through the htmx endpoint.

Run: .venv/bin/python bench/span_create.py [--postgres URL] [--no-write]

As production runs it: gunicorn with 2 workers, DEBUG off, on 127.0.0.1. The
document is a long essay (50,000 characters) that already holds 2,000 spans.
Each request creates a new span of 30 characters at a random place, with the
same client a browser or a script would be (one request at a time, new
connection each). The floor, measured in the same run: the same span written
by one INSERT and a commit through the database driver, without Django.

Results replace the "Creating a span" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.cookies
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import (
    ESSAY_WORDS,
    ROOT,
    Placed,
    bench_env,
    django_setup,
    fresh_postgres,
    label_studio,
    replace_section,
    server_cpu,
    start_gunicorn,
)

SECTION = "Creating a span"
#: Another free port can be given in HERLENS_BENCH_PORT (several runs on one machine).
PORT = int(os.environ.get("HERLENS_BENCH_PORT", "8194"))
RUNS = 100
WARM_UP = 10


def essay(characters: int, seed: int) -> str:
    rng = random.Random(seed)
    words, length = [], 0
    while length < characters:
        sentence = " ".join(rng.choice(ESSAY_WORDS) for _ in range(rng.randint(8, 18)))
        words.append(sentence.capitalize() + ".")
        length += len(words[-1]) + 1
        if rng.random() < 0.2:
            words.append("\n\n")
    return " ".join(words)[:characters].strip()


def prepare(env: dict[str, str]) -> dict:
    """Make the user, project, essay and its 2,000 spans, an API token and a logged-in session."""
    django_setup(env)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from annotations.models import Span
    from annotations.services.documents import document_create
    from annotations.services.projects import project_create
    from annotations.services.tokens import api_token_create

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    project = project_create(name="Bench", owner=user)
    document = document_create(project=project, title="Long", text=essay(50_000, 1))
    tags = list(project.tags.all())
    rng = random.Random(3)
    placed = Placed(document, Span)
    while len(placed.rows) < 2000:
        start = rng.randrange(0, len(document.text) - 60)
        end = start + rng.randint(5, 60)
        if document.text[start:end].strip():
            placed.add(start, end, rng.choice(tags), author=user)
    Span.objects.bulk_create(placed.rows, batch_size=500)
    _token, raw = api_token_create(user=user, name="benchmark")
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    connections.close_all()
    return {
        "document": document.pk,
        "text": document.text,
        "token": raw,
        "session": session,
        "user": user.pk,
        "tag": tags[0].pk,
        "url": document.get_absolute_url(),
    }


def places(text: str, count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        start = rng.randrange(0, len(text) - 40)
        if text[start : start + 30].strip() and "\n" not in text[start : start + 30]:
            found.append((start, start + 30))
    return found


def request(url: str, *, data: bytes | None = None, headers: dict[str, str]) -> tuple[int, dict]:
    message = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data else "GET"
    )
    with urllib.request.urlopen(message) as response:
        response.read()
        return response.status, dict(response.headers)


def measure_api(base: str, setup: dict, runs: int, seed: int) -> list[float]:
    text, times = setup["text"], []
    for start, end in places(text, runs, seed):
        body = json.dumps({"start": start, "end": end, "tag": "claim", "quote": text[start:end]})
        began = time.perf_counter()
        status, _headers = request(
            f"{base}/api/v1/documents/{setup['document']}/spans",
            data=body.encode(),
            headers={
                "Authorization": f"Bearer {setup['token']}",
                "Content-Type": "application/json",
            },
        )
        times.append(time.perf_counter() - began)
        assert status in (200, 201), status
    return times


def measure_htmx(base: str, setup: dict, runs: int, seed: int) -> list[float]:
    # The page sets the CSRF cookie that htmx sends back as a header, as in the browser.
    _status, headers = request(
        base + setup["url"], headers={"Cookie": f"sessionid={setup['session']}"}
    )
    cookies = http.cookies.SimpleCookie(headers.get("Set-Cookie", ""))
    csrf = cookies["csrftoken"].value
    cookie = f"sessionid={setup['session']}; csrftoken={csrf}"
    text, times = setup["text"], []
    for start, end in places(text, runs, seed):
        form = urllib.parse.urlencode(
            {"start": start, "end": end, "tag": setup["tag"], "quote": text[start:end]}
        )
        began = time.perf_counter()
        status, _headers = request(
            f"{base}/documents/{setup['document']}/spans/",
            data=form.encode(),
            headers={
                "Cookie": cookie,
                "X-CSRFToken": csrf,
                "HX-Request": "true",
                "Referer": base + setup["url"],
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        times.append(time.perf_counter() - began)
        assert status in (200, 201), status
    return times


def measure_floor(env: dict[str, str], setup: dict) -> list[float]:
    """One INSERT and a commit per span through the bare driver: what the database itself costs."""
    from datetime import UTC, datetime

    text, times = setup["text"], []
    columns = '"document_id", "start", "end", "tag_id", "author_id", "note", "quote", "origin", '
    columns += '"is_reference", "created_at", "updated_at"'
    if "DATABASE_URL" in env:
        import psycopg

        connection = psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://"))
        mark = "%s"
    else:
        import sqlite3

        connection = sqlite3.connect(Path(env["HERLENS_VAR_DIR"]) / "herlens.sqlite3")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        mark = "?"
    sql = f"INSERT INTO annotations_span ({columns}) VALUES ({', '.join([mark] * 11)})"
    for start, end in places(text, RUNS + WARM_UP, 17):
        now = datetime.now(UTC)
        row = (setup["document"], start, end + 1, setup["tag"], setup["user"], "")
        row += (text[start : end + 1], "manual", False, now, now)
        began = time.perf_counter()
        connection.execute(sql, row)
        connection.commit()
        times.append(time.perf_counter() - began)
    connection.close()
    return times[WARM_UP:]


def run(database: str | None) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="herlens-bench-span-"))
    env = {**os.environ, **bench_env(workdir)}
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = fresh_postgres(database)
    done = subprocess.run(
        [sys.executable, __file__, "--prepare"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    server = start_gunicorn(ROOT, PORT, env, workers=2)
    base = f"http://127.0.0.1:{PORT}"
    try:
        # Both workers import the views on their first requests; those are not counted.
        measure_api(base, setup, WARM_UP, 5)
        measure_htmx(base, setup, WARM_UP, 7)
        began = server_cpu(server.pid)
        api = measure_api(base, setup, RUNS, 11)
        middle = server_cpu(server.pid)
        htmx = measure_htmx(base, setup, RUNS, 13)
        ended = server_cpu(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)  # a loaded machine may take a while
    floor = measure_floor(env, setup)
    return {
        "api": statistics.median(api) * 1000,
        "htmx": statistics.median(htmx) * 1000,
        "api_cpu": (middle - began) / RUNS * 1000,
        # One more request: the page that sets the CSRF cookie.
        "htmx_cpu": (ended - middle) / (RUNS + 1) * 1000,
        "floor": statistics.median(floor) * 1000,
    }


def _versus(ms: float, peer_ms: float) -> str:
    if ms <= peer_ms:
        return f"{peer_ms / ms:.1f}x faster than Label Studio"
    return f"{ms / peer_ms:.1f}x slower than Label Studio"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", help="Also measure on this PostgreSQL database (recreated).")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(dict(os.environ))))
        return
    results = {"SQLite": run(None)}
    if args.postgres:
        results["PostgreSQL"] = run(args.postgres)
    names = list(results)
    peer = label_studio()
    lines = [
        f"Run `python bench/span_create.py` (CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, gunicorn with 2 workers, DEBUG off; {time.strftime('%Y-%m-%d')}). "
        f"A 50,000-character essay holding 2,000 spans; each request adds one span of 30 "
        f"characters; p50 of {RUNS} requests after {WARM_UP} to warm up.",
        "",
        f"Label Studio's figure (saving an annotation through its API) comes from {peer.source}; "
        "the floor was measured in this run.",
        "",
        "| create one span, p50 | Label Studio | goal | "
        + " | ".join(f"herlens ({name})" for name in names)
        + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    goal = f"<= {peer.create_ms / 5:.1f} ms (5x faster)"
    for key, label in (("api", "through the API (JSON)"), ("htmx", "through the htmx endpoint")):
        cells = [
            f"{r[key]:.1f} ms ({_versus(r[key], peer.create_ms)}); server CPU {r[key + '_cpu']:.1f} ms a request"
            for r in results.values()
        ]
        lines.append(f"| {label} | {peer.create_ms:.1f} ms | {goal} | " + " | ".join(cells) + " |")
    lines.append(
        "| floor: one INSERT and a commit through the bare driver |  |  | "
        + " | ".join(f"{r['floor']:.2f} ms" for r in results.values())
        + " |"
    )
    lines += [
        "",
        "The htmx answer also re-draws the paragraphs the new span touches; the API answers "
        "with the span as JSON. Both check the membership, the offsets against the text and "
        "the quote before writing. Server CPU is the CPU time gunicorn's processes used, divided "
        "by the requests: on a shared machine the wall time also counts the time other "
        "processes held the CPU (load average "
        f"{os.getloadavg()[0]:.1f} at the end of this run). On PostgreSQL the floor is mostly the "
        "commit's flush to disk.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, body)


if __name__ == "__main__":
    main()
