"""Benchmark the annotate page on a long essay: render, queries, span creation, Chromium.

Run: .venv/bin/python bench/annotate_page.py [--no-browser] [--no-write]

Builds, in a throw-away SQLite database, a document of 50,000 characters with
2,000 overlapping spans (one astral emoji among them) and measures in one run:

- server time to render the annotate page (median of 5), and its SQL queries
  with 2,000 spans against the same page with 20 spans;
- the time to create one span through the htmx endpoint on that document
  against a 1,000-character document (the ratio should be close to 1);
- the time until Chromium has drawn the last of the 2,000 highlights, served
  by gunicorn as in production.

Results replace the "Annotate page" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import bench_env  # noqa: E402

WORKDIR = Path(tempfile.mkdtemp(prefix="herlens-bench-"))
BENCH_ENV = bench_env(WORKDIR)
os.environ.update(BENCH_ENV)
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from common import CHROMIUM_ARGS, ESSAY_WORDS, free_port, replace_section, start_gunicorn  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotations.models import Span  # noqa: E402
from annotations.services.documents import document_create  # noqa: E402
from annotations.services.projects import project_create  # noqa: E402

WORDS = [
    *ESSAY_WORDS,
    *("intimacy", "argument", "scene", "director", "actor", "critic", "viewer", "promise"),
    *("conversation", "software", "body", "window", "glass", "garden", "test", "engineer"),
    *("question", "answer"),
]


def essay(length: int, seed: int) -> str:
    """Return an essay of exactly ``length`` characters, paragraphs of ~600, one emoji."""
    rng = random.Random(seed)
    paragraphs, current, size = [], [], 0
    while size < length:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
        current.append(sentence)
        size += len(sentence) + 1
        if sum(len(s) + 1 for s in current) > 600:
            paragraphs.append(" ".join(current))
            size += 1
            current = []
    paragraphs.append(" ".join(current))
    text = "\n\n".join(paragraphs)
    text = text[:40] + " 🤖 " + text[40:]
    return text[:length].rstrip() + "."


def add_spans(document, user, count: int, seed: int) -> None:
    rng = random.Random(seed)
    tags = list(document.project.tags.all())
    text = document.text
    spans, seen = [], set()
    while len(spans) < count:
        start = rng.randrange(0, len(text) - 10)
        end = min(len(text), start + rng.randint(5, 240))
        tag = rng.choice(tags)
        if not text[start:end].strip() or (start, end, tag.pk) in seen:
            continue
        seen.add((start, end, tag.pk))
        spans.append(
            Span(
                document=document, start=start, end=end, tag=tag, author=user, quote=text[start:end]
            )
        )
    Span.objects.bulk_create(spans, batch_size=500)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_render(client: Client, url: str, runs: int = 5) -> tuple[float, int]:
    client.get(url)  # warm caches (templates, first connection)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return median_ms(times), len(queries)


def measure_create(client: Client, document, runs: int = 30) -> float:
    url = reverse("annotations:span-create", args=[document.pk])
    text = document.text
    rng = random.Random(7)
    times = []
    for _ in range(runs):
        start = rng.randrange(0, len(text) - 40)
        while not text[start : start + 30].strip():
            start = rng.randrange(0, len(text) - 40)
        data = {
            "start": start,
            "end": start + 30,
            "tag": "claim",
            "quote": text[start : start + 30],
        }
        began = time.perf_counter()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        times.append(time.perf_counter() - began)
        assert response.status_code in (200, 201), response.content[:200]
    return median_ms(times)


def measure_chromium(document, username: str, password: str, span_count: int) -> float | None:
    chromium = os.environ.get("HERLENS_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        print(f"Chromium not found at {chromium}: skipping the browser measurement")
        return None
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_gunicorn(ROOT, port, {**os.environ, **BENCH_ENV})
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=CHROMIUM_ARGS,
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            url = base + document.get_absolute_url()
            samples = []
            for _ in range(5):
                page.goto(url, wait_until="commit")
                # Time from navigation start until the last highlight exists and a frame was painted.
                elapsed = page.evaluate(
                    """(count) => new Promise((resolve) => {
                        const check = () => {
                          const marks = document.querySelectorAll('#essay mark[data-s]');
                          const ids = new Set();
                          marks.forEach((m) => m.dataset.s.split(' ').forEach((id) => ids.add(id)));
                          if (ids.size >= count) {
                            requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
                          } else { setTimeout(check, 5); }
                        };
                        check();
                    })""",
                    span_count,
                )
                samples.append(elapsed / 1000)
            browser.close()
        return median_ms(samples)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    password = "bench-password-1"
    user = get_user_model().objects.create_user("bench", password=password)
    project = project_create(name="Bench", owner=user)
    long_doc = document_create(project=project, title="Long", text=essay(50_000, 1))
    short_doc = document_create(project=project, title="Short", text=essay(1_000, 2))
    few_doc = document_create(project=project, title="Few", text=essay(50_000, 3))
    add_spans(long_doc, user, 2_000, 11)
    add_spans(few_doc, user, 20, 12)
    add_spans(short_doc, user, 20, 13)

    client = Client()
    client.force_login(user)
    render_ms, queries_many = measure_render(client, long_doc.get_absolute_url())
    _few_ms, queries_few = measure_render(client, few_doc.get_absolute_url())
    create_long = measure_create(client, long_doc)
    create_short = measure_create(client, short_doc)
    chromium_ms = None if args.no_browser else measure_chromium(long_doc, "bench", password, 2_000)

    rows = [
        (
            "Server render of the annotate page (50,000 chars, 2,000 spans), median of 5",
            f"{render_ms:.0f} ms",
        ),
        ("SQL queries for that page: 2,000 spans / 20 spans", f"{queries_many} / {queries_few}"),
        (
            "Create one span (htmx) on the 50,000-char document, median of 30",
            f"{create_long:.1f} ms",
        ),
        ("Create one span (htmx) on a 1,000-char document, median of 30", f"{create_short:.1f} ms"),
        ("Ratio long / short (goal: close to 1)", f"{create_long / create_short:.2f}"),
        (
            "Chromium: navigation start until all 2,000 highlights are drawn, median of 5",
            f"{chromium_ms:.0f} ms" if chromium_ms is not None else "not measured",
        ),
    ]
    table = "| measure | herlens |\n|---|---|\n" + "\n".join(
        f"| {name} | {value} |" for name, value in rows
    )
    peers = (
        "Peers on the same work (from their published runs on this kind of machine): Label Studio "
        "needs 11.96 s until all 2,000 highlights are drawn and 91 ms p50 to create a span; doccano "
        "draws only the first screenful (2.5 s) and needs 415 ms p50 to create one. Goals: under "
        "0.6 s to draw, under 20 ms p50 to create."
    )
    body = (
        f"Run `python bench/annotate_page.py` ({platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, SQLite, gunicorn with 1 worker "
        f"for the browser part; {time.strftime('%Y-%m-%d')}).\n\n{table}\n\n{peers}\n"
    )
    print(body)
    if queries_many != queries_few:
        print("WARNING: the query count grows with the number of spans")
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", "Annotate page", body)
        print("Updated docs/benchmarks.md")


if __name__ == "__main__":
    main()
