"""Benchmark the annotate page on a long essay, served by gunicorn as in production.

Run: .venv/bin/python bench/annotate_page.py [--port 8150] [--rounds 15] [--no-browser] [--no-write]

Builds, in a throw-away SQLite database, a document of 50,000 characters with
2,000 overlapping spans (one astral emoji among them) and a 1,000-character
one, starts gunicorn (DEBUG off) and measures in one run:

- the page's size, raw and as sent gzipped;
- in Chromium, from navigation start: first byte, HTML received, first
  contentful paint, DOMContentLoaded, and "drawn" (the document parsed, every
  highlight in the DOM, two frames later) and when the spoken labels are all
  written (idle time, after drawing), median of 9 cold navigations; the
  same for two baselines served by the same gunicorn: a bare static page with
  the same text and no highlights, and a plain static page of the same spans
  (one <mark> per run carrying its span ids and colours inline, no script);
- every action the page makes (create, retag, delete, undo, accept a
  suggestion, a live update), over HTTP as htmx sends it, with the requests
  the page makes after it (the span list refreshing itself, the suggestion
  panel and list), on the long document against the short one: median time,
  ratio and answer size.

Results replace the "Annotate page" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import math
import os
import platform
import random
import re
import statistics
import tempfile
import time
from html import escape
from pathlib import Path
from urllib.parse import urlencode

from common import (
    CHROMIUM_ARGS,
    ESSAY_WORDS,
    ROOT,
    Placed,
    bench_env,
    django_setup,
    label_studio,
    replace_section,
    start_gunicorn,
)

BENCH_ENV = bench_env(Path(tempfile.mkdtemp(prefix="herlens-bench-")))
django_setup(BENCH_ENV)

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotations.models import Membership, Role, Span, Suggestion, SuggestionRun  # noqa: E402
from annotations.rendering import SpanMark, split_runs  # noqa: E402
from annotations.services.documents import document_create  # noqa: E402
from annotations.services.projects import project_create  # noqa: E402
from annotations.services.spans import span_create  # noqa: E402
from annotations.views.live import LIVE_MARGIN  # noqa: E402

WORDS = [
    *ESSAY_WORDS,
    *("intimacy", "argument", "scene", "director", "actor", "critic", "viewer", "promise"),
    *("conversation", "software", "body", "window", "glass", "garden", "test", "engineer"),
    *("question", "answer"),
]
#: A token the bench sends as both the CSRF cookie and header (Django accepts the bare secret).
CSRF = "b" * 32


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
    placed = Placed(document, Span)
    while len(placed.rows) < count:
        start = rng.randrange(0, len(text) - 10)
        end = min(len(text), start + rng.randint(5, 240))
        if text[start:end].strip():
            placed.add(start, end, rng.choice(tags), author=user)
    Span.objects.bulk_create(placed.rows, batch_size=500)


def add_suggestions(document, count: int, seed: int) -> list[int]:
    """Store ``count`` pending suggestions (whole words) and return their ids."""
    rng = random.Random(seed)
    tags = list(document.project.tags.all())
    text = document.text
    words = [m.span() for m in re.finditer(r"[a-z]+(?: [a-z]+){2}", text)]
    placed = Placed(document, Suggestion)
    while len(placed.rows) < count:
        start, end = rng.choice(words)
        placed.add(start, end, rng.choice(tags), score=0.8, reason="bench", rule="bench")
    Suggestion.objects.bulk_create(placed.rows)
    return list(
        Suggestion.objects.filter(document=document).order_by("pk").values_list("pk", flat=True)
    )


def first_highlights(text: str, spans: list[Span]) -> int:
    """Count the highlights where a span begins: each carries that span's spoken label."""
    seen: set[int] = set()
    count = 0
    for paragraph in split_runs(text, [SpanMark(s.pk, s.start, s.end, s.tag_id) for s in spans]):
        for run in paragraph.runs:
            fresh = set(run.span_ids) - seen
            count += bool(fresh)
            seen |= fresh
    return count


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


# --------------------------------------------------------------------------- baselines


def baseline_pages(text: str, spans: list[Span], colours: dict[int, str]) -> dict[str, str]:
    """Return two static pages of the same essay: bare text, and plain marks of the same spans."""
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<link rel="stylesheet" href="/static/herlens.css"></head><body><main>'
        '<article id="essay" class="essay">{body}</article></main></body></html>'
    )
    paragraphs = split_runs(text, [SpanMark(s.pk, s.start, s.end, s.tag_id) for s in spans])
    bare = "\n".join(
        f'<p class="para">{escape(text[p.start : p.end], quote=False)}</p>' for p in paragraphs
    )
    tag_of = {s.pk: s.tag_id for s in spans}
    plain_parts = []
    for paragraph in paragraphs:
        runs = []
        for run in paragraph.runs:
            piece = escape(text[run.start : run.end], quote=False)
            if not run.span_ids:
                runs.append(piece)
                continue
            shadows = ",".join(
                f"0 {2 + 3 * layer}px 0 0 {colours[tag_of[span_id]]}"
                for layer, span_id in enumerate(run.span_ids[:4])
            )
            ids = " ".join(str(span_id) for span_id in run.span_ids)
            runs.append(
                f'<mark data-s="{ids}" style="background:{colours[tag_of[run.span_ids[-1]]]}33;'
                f'box-shadow:{shadows}">{piece}</mark>'
            )
        plain_parts.append(f'<p class="para">{"".join(runs)}</p>')
    return {
        "bare": head.format(title="Bare text", body=bare),
        "plain": head.format(title="Plain marks", body="\n".join(plain_parts)),
    }


# --------------------------------------------------------------------------- HTTP


class Http:
    """One keep-alive connection to gunicorn, logged in by cookie, sending what htmx sends."""

    def __init__(self, port: int, session: str) -> None:
        self.port = port
        self.cookie = f"sessionid={session}; csrftoken={CSRF}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        headers: dict | None = None,
        gzip_ok: bool = True,
    ) -> tuple[int, bytes, float, int]:
        """Return (status, body as text bytes, seconds, bytes on the wire)."""
        sent = {"Cookie": self.cookie, "X-CSRFToken": CSRF, **(headers or {})}
        if gzip_ok:
            sent["Accept-Encoding"] = "gzip"
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - began
        wire = len(raw)
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return response.status, raw, elapsed, wire

    def htmx(self, method: str, path: str, current: str, target: str = "", data=None):
        headers = {"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{self.port}{current}"}
        if target:
            headers["HX-Target"] = target
        return self.send(method, path, data, headers)


class Actions:
    """The page's actions on one document, each with the requests the page makes after it."""

    def __init__(self, http: Http, document, suggestions: list[int], other_user) -> None:
        self.http = http
        self.document = document
        self.url = document.get_absolute_url()
        self.suggestions = list(suggestions)
        self.other = other_user
        self.rng = random.Random(document.pk)
        #: Where this page's own spans went: each round's span stays (undo brings it back).
        self.used: set[int] = set()
        self.times: dict[str, list[float]] = {}
        self.sizes: dict[str, list[int]] = {}
        status, page, _, _ = http.send("GET", self.url)
        assert status == 200, status
        self.live_url = re.search(rb'id="live"[^>]*hx-get="([^"]+)"', page) or re.search(
            rb'hx-get="([^"]+)"[^>]*id="live"', page
        )
        self.live_url = self.live_url.group(1).decode().replace("&amp;", "&")

    def _record(self, name: str, answers: list[tuple[int, bytes, float, int]]) -> bytes:
        for status, _body, _t, _w in answers:
            assert status in (200, 201, 204, 286), (name, status, _body[:300])
        self.times.setdefault(name, []).append(sum(a[2] for a in answers))
        self.sizes.setdefault(name, []).append(max(len(a[1]) for a in answers))
        return answers[0][1]

    def _after_span_change(self) -> tuple[int, bytes, float, int]:
        # The span list re-fetches itself on the spansChanged event.
        return self.http.htmx("GET", self.url, self.url, "span-sidebar")

    def round(self) -> None:
        text = self.document.text
        start = self.rng.randrange(0, len(text) - 40)
        while not text[start : start + 30].strip() or start in self.used:
            start = self.rng.randrange(0, len(text) - 40)
        self.used.add(start)
        end = start + 30
        create = self.http.htmx(
            "POST",
            reverse("annotations:span-create", args=[self.document.pk]),
            self.url,
            "span-panel",
            {"start": start, "end": end, "tag": "claim", "quote": text[start:end]},
        )
        answer = self._record("create", [create, self._after_span_change()])
        span_id = int(re.search(rb'data-span="(\d+)"', answer).group(1))
        edit = self.http.htmx(
            "POST",
            reverse("annotations:span-edit", args=[span_id]),
            self.url,
            "span-panel",
            {"tag": "prediction"},
        )
        self._record("retag", [edit, self._after_span_change()])
        delete = self.http.htmx(
            "POST",
            reverse("annotations:span-delete", args=[span_id]),
            self.url,
            "span-panel",
            {},
        )
        answer = self._record("delete", [delete, self._after_span_change()])
        token = re.search(rb'name="token" value="([^"]+)"', answer).group(1).decode()
        undo = self.http.htmx(
            "POST",
            reverse("annotations:span-restore", args=[self.document.pk]),
            self.url,
            "span-panel",
            {"token": token},
        )
        self._record("undo", [undo, self._after_span_change()])
        suggestion = self.suggestions.pop()
        accept = self.http.htmx(
            "POST",
            reverse("annotations:suggestion-accept", args=[suggestion]),
            self.url,
            "span-panel",
            {},
        )
        suggestions_url = reverse("annotations:suggestions", args=[self.document.pk])
        # suggestionsChanged: the suggestion panel reloads, and herlens-suggest.js its list.
        panel = self.http.htmx("GET", suggestions_url, self.url, "suggest-panel")
        listing = self.http.send(
            "GET", suggestions_url + "?text=0", headers={"Accept": "application/json"}
        )
        self._record("accept a suggestion", [accept, self._after_span_change(), panel, listing])

    def catch_up(self) -> None:
        """Poll until the page is current (its poller then carries a fresh token)."""
        self._poll()

    def live(self) -> None:
        """Another reader adds a span; time the poll that brings it to this page."""
        text = self.document.text
        created = False
        while not created:  # the same span twice is stored once: nothing new to send
            start = self.rng.randrange(0, len(text) - 40)
            if not text[start : start + 20].strip():
                continue
            _span, created = span_create(
                document=self.document,
                start=start,
                end=start + 20,
                tag=self.document.project.tags.get(slug="claim"),
                author=self.other,
            )
        poll = self._poll()
        assert poll[0] == 200, poll[0]
        self._record("live update (another reader's span)", [poll])

    def _poll(self):
        answer = self.http.htmx("GET", self.live_url, self.url, "live")
        found = re.search(rb'hx-get="([^"]+)"', answer[1])
        if answer[0] == 200 and found:
            self.live_url = found.group(1).decode().replace("&amp;", "&")
        return answer


# --------------------------------------------------------------------------- Chromium

DRAWN = """([expected, labels]) => new Promise((resolve) => {
  const check = () => {
    if (document.readyState === "loading") { setTimeout(check, 5); return; }
    const essay = document.getElementById("essay");
    if (!essay || essay.querySelectorAll("mark").length < expected) { setTimeout(check, 5); return; }
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const drawn = performance.now();
      // When essay text was first painted: the earliest largest-contentful-paint candidate
      // inside #essay (text painted is reported per block; the first screenful is one).
      let essay = NaN;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.element && entry.element.closest("#essay") && !(entry.startTime >= essay)) {
            essay = entry.startTime;
          }
        }
      }).observe({ type: "largest-contentful-paint", buffered: true });
      // Paint timings are reported a little after the frame; read them once they are in.
      setTimeout(function finish() {
        // When the spoken labels were all written (herlens-access.js marks it: idle time,
        // after the highlights are drawn), and how many highlights carry one where a span begins.
        const mark = performance.getEntriesByName("herlens:spoken-labels-written")[0];
        if (labels && !mark && performance.now() - drawn < 5000) {
          setTimeout(finish, 20);
          return;
        }
        const labelled = mark ? mark.startTime : NaN;
        const written = document.querySelectorAll("#essay mark[data-sr-start]").length;
        const nav = performance.getEntriesByType("navigation")[0];
        const fcp = performance.getEntriesByName("first-contentful-paint")[0];
        resolve({drawn, essay, ttfb: nav.responseStart, html: nav.responseEnd,
                 dcl: nav.domContentLoadedEventStart, fcp: fcp ? fcp.startTime : NaN,
                 labelled, written});
      }, 100);
    }));
  };
  check();
})"""


#: One reader's share of a school's connection while a class loads the page together
#: (round trip in ms, megabits a second each way), applied by Chromium's network emulation.
CLASSROOM_NETWORK = (40.0, 4.0)


def measure_chromium(
    base: str,
    session: str,
    pages: dict[str, tuple[str, int, int]],
    runs: int = 9,
    network: tuple[float, float] | None = None,
) -> dict[str, dict[str, float]]:
    """Navigate to each page ``runs`` times (round robin); return median timings in ms per page.

    ``pages``: name -> (path, highlights, highlights where a span begins, 0 for no labels).

    ``network``: (round trip ms, Mbit/s) to emulate once the static files are cached.
    """
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("HERLENS_CHROMIUM", "/usr/bin/chromium")
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [
                {"name": "sessionid", "value": session, "url": base},
                {"name": "csrftoken", "value": CSRF, "url": base},
            ]
        )
        page = context.new_page()
        for path, _marks, _labels in pages.values():
            page.goto(base + path)  # warm: static files cached, as for a returning reader
        if network is not None:
            latency, megabits = network
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": latency,
                    "downloadThroughput": megabits * 125_000,
                    "uploadThroughput": megabits * 125_000,
                },
            )
        for run in range(runs):
            for name, (path, marks, labels) in pages.items():
                separator = "&" if "?" in path else "?"
                # A URL of its own each time, so no navigation is answered from the cache.
                fresh = f"{'slow' if network else 'n'}={run}"
                page.goto(f"{base}{path}{separator}{fresh}", wait_until="commit")
                sample = page.evaluate(DRAWN, [marks, labels])
                # Where labels are timed, every highlight where a span begins was named.
                written = sample.pop("written")
                assert not labels or written == labels, (name, written, labels)
                samples[name].append(sample)
        browser.close()
    return {
        name: {key: statistics.median(s[key] for s in rows) for key in rows[0]}
        for name, rows in samples.items()
    }


def _classroom_lines(slow: dict[str, dict[str, float]]) -> list[str]:
    """Say when the first screenful was readable on a classroom's share of a connection."""
    latency, megabits = CLASSROOM_NETWORK
    row = slow["herlens"]
    when = "before" if row["essay"] < row["dcl"] else "after"
    lines = [
        f"The same in Chromium emulating one reader's share of a school connection while the "
        f"class loads the page together ({megabits:.0f} Mbit/s, {latency:.0f} ms round trip; "
        "static files cached), median of 5 (ms):",
        "",
        "| page | first byte | HTML received | essay text painted | DOMContentLoaded "
        "| all highlights drawn |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {"herlens": "herlens annotate page", "bare": "baseline: bare text (static)"}
    for key, label in names.items():
        r = slow[key]
        lines.append(
            f"| {label} | {r['ttfb']:.0f} | {r['html']:.0f} | {r['essay']:.0f} | "
            f"{r['dcl']:.0f} | {r['drawn']:.0f} |"
        )
    lines += [
        "",
        f"There the essay's first screenful is painted at {row['essay']:.0f} ms, "
        f"{abs(row['dcl'] - row['essay']):.0f} ms {when} the page is parsed (DOMContentLoaded), "
        + (
            f"{row['html'] - row['essay']:.0f} ms before its last byte arrives."
            if row["essay"] < row["html"]
            else "once all of it has arrived."
        ),
    ]
    return lines


def _first_screen_line(browser: dict[str, dict[str, float]]) -> str:
    """Say when the essay's first screenful was readable, against the page parsed and drawn."""
    row, bare = browser["herlens"], browser["bare"]
    when = "before" if row["essay"] < row["dcl"] else "after"
    return (
        f"Goal: the first screenful readable before the rest is parsed. The annotate page is "
        "streamed (the page around the essay and its first paragraphs first, the rest of the "
        f"essay as it is written): its essay text is painted at {row['essay']:.0f} ms, "
        f"{abs(row['dcl'] - row['essay']):.0f} ms {when} DOMContentLoaded and "
        f"{row['drawn'] - row['essay']:.0f} ms before every highlight is drawn; the bare "
        f"static text paints at {bare['essay']:.0f} ms ({row['essay'] / bare['essay']:.2f}x)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--rounds", type=int, default=40, help="rounds of actions per document")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    other = get_user_model().objects.create_user("other", password="bench-password-1")
    project = project_create(name="Bench", owner=user)
    Membership.objects.create(user=other, project=project, role=Role.ANNOTATOR)
    long_doc = document_create(project=project, title="Long", text=essay(50_000, 1))
    short_doc = document_create(project=project, title="Short", text=essay(1_000, 2))
    add_spans(long_doc, user, 2_000, 11)
    add_spans(short_doc, user, 20, 13)
    # No task worker runs here: forget the queued suggestion runs, so no page polls for them.
    SuggestionRun.objects.all().delete()
    # Stored before gunicorn starts, so the documents' suggestion runs are settled.
    long_suggestions = add_suggestions(long_doc, args.rounds + 25, 21)
    short_suggestions = add_suggestions(short_doc, args.rounds + 25, 22)

    tags = list(project.tags.all())
    spans = list(long_doc.spans.all())
    static = Path(BENCH_ENV["STATIC_ROOT"])
    for name, html in baseline_pages(long_doc.text, spans, {t.pk: t.colour for t in tags}).items():
        (static / f"bench-{name}.html").write_text(html, encoding="utf-8")

    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value

    server = start_gunicorn(ROOT, args.port, {**os.environ, **BENCH_ENV})
    base = f"http://127.0.0.1:{args.port}"
    try:
        http = Http(args.port, session)
        status, page, _, wire = http.send("GET", long_doc.get_absolute_url())
        assert status == 200, status
        page_raw = len(page)
        page_gzip = wire if wire != page_raw else len(gzip.compress(page, 6))
        gzip_sent = wire != page_raw
        marks = page.count(b"<mark")
        labelled = first_highlights(long_doc.text, spans)
        # After a revision that edited words inside every span: each highlight carries its
        # pencil (the worst case; a real revision flags a few).
        Span.objects.filter(document=long_doc).update(anchor="changed")
        status, flagged_page, _, flagged_wire = http.send("GET", long_doc.get_absolute_url())
        assert status == 200, status
        # One pencil per place a changed span begins (spans that begin together share one).
        pencils = flagged_page.count(b" chg")
        assert pencils > 1_000, pencils
        Span.objects.filter(document=long_doc).update(anchor="exact")
        flagged_raw = len(flagged_page)
        flagged_gzip = (
            flagged_wire if flagged_wire != flagged_raw else len(gzip.compress(flagged_page, 6))
        )
        bare = (static / "bench-bare.html").read_bytes()
        plain = (static / "bench-plain.html").read_bytes()

        browser = None
        if (
            not args.no_browser
            and Path(os.environ.get("HERLENS_CHROMIUM", "/usr/bin/chromium")).exists()
        ):
            browser = measure_chromium(
                base,
                session,
                {
                    "herlens": (long_doc.get_absolute_url(), marks, labelled),
                    "bare": ("/static/bench-bare.html", 0, 0),
                    "plain": ("/static/bench-plain.html", marks, 0),
                },
            )
            slow = measure_chromium(
                base,
                session,
                {
                    "herlens": (long_doc.get_absolute_url(), marks, 0),
                    "bare": ("/static/bench-bare.html", 0, 0),
                },
                runs=5,
                network=CLASSROOM_NETWORK,
            )

        long_actions = Actions(http, long_doc, long_suggestions, other)
        short_actions = Actions(http, short_doc, short_suggestions, other)
        for _ in range(args.rounds):
            long_actions.round()
            short_actions.round()
            # A poll re-sends what changed shortly before its poller was issued (LIVE_MARGIN):
            # let the page's own actions age past that before catching up, so the timed poll
            # carries the one new span.
            time.sleep(LIVE_MARGIN.total_seconds() + 0.2)
            long_actions.catch_up()
            short_actions.catch_up()
            long_actions.live()
            short_actions.live()
    finally:
        server.terminate()
        server.wait(timeout=10)

    load = os.getloadavg()
    lines = [
        f"Run `python bench/annotate_page.py` ({platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores shared with other work, load "
        f"average {load[0]:.1f} / {load[1]:.1f} at the end; SQLite; gunicorn with 1 worker, "
        f"DEBUG off; {time.strftime('%Y-%m-%d')}). Essay: 50,000 characters, 2,000 "
        "overlapping spans, 3 tags.",
        "",
        "| page | HTML raw | HTML gzip |",
        "|---|---:|---:|",
        f"| herlens annotate page | {page_raw / 1000:.0f} KB | {page_gzip / 1000:.0f} KB"
        f"{'' if gzip_sent else ' (not sent compressed)'} |",
        f"| herlens annotate page, every span flagged changed by a revision ({pencils:,} "
        "pencils) | "
        f"{flagged_raw / 1000:.0f} KB | {flagged_gzip / 1000:.0f} KB |",
        f"| baseline: bare text, no highlights (static) | {len(bare) / 1000:.0f} KB | "
        f"{len(gzip.compress(bare, 6)) / 1000:.0f} KB |",
        f"| baseline: plain marks of the same spans, no script (static) | {len(plain) / 1000:.0f} KB | "
        f"{len(gzip.compress(plain, 6)) / 1000:.0f} KB |",
        "",
    ]
    if browser:
        lines += [
            "Chromium, from navigation start, median of 9 cold navigations (ms):",
            "",
            "| page | first byte | HTML received | first contentful paint | essay text painted "
            "| DOMContentLoaded | all highlights drawn | spoken labels written |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        names = {
            "herlens": "herlens annotate page",
            "bare": "baseline: bare text (static)",
            "plain": "baseline: plain marks (static)",
        }
        for key, label in names.items():
            row = browser[key]
            lines.append(
                f"| {label} | {row['ttfb']:.0f} | {row['html']:.0f} | {row['fcp']:.0f} | "
                f"{row['essay']:.0f} | {row['dcl']:.0f} | {row['drawn']:.0f} | "
                f"{'–' if math.isnan(row['labelled']) else format(row['labelled'], '.0f')} |"
            )
        drawn = browser["herlens"]["drawn"]
        peer = label_studio()
        lines += [
            "",
            f"herlens draws all 2,000 highlights in {drawn:.0f} ms: "
            f"{drawn / browser['bare']['drawn']:.2f}x the bare text, "
            f"{drawn / browser['plain']['drawn']:.2f}x the plain marks. Label Studio needs "
            f"{peer.draw_s:.2f} s ({peer.source}): {peer.draw_s * 1000 / drawn:.0f}x herlens "
            "(goal: at least 40x). "
            "Paragraphs out of view are laid out when scrolled to (`content-visibility: auto`); "
            '"drawn" is two frames after every highlight is in the page; the spoken labels '
            "(what a screen reader hears of each highlight) are written after that, in idle time "
            f"({labelled:,} highlights where a span begins).",
            "",
            _first_screen_line(browser),
            "",
            *_classroom_lines(slow),
            "",
        ]
    lines += [
        f"Actions over HTTP as htmx sends them, with the requests the page makes after each, "
        f"median of {args.rounds} (ms); answer = the largest single answer, uncompressed:",
        "",
        "| action | 50,000 chars, 2,000 spans | 1,000 chars, 20 spans | ratio (goal ≤ 1.2) "
        "| largest answer (goal < 10 KB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in long_actions.times:
        long_ms = median_ms(long_actions.times[name])
        short_ms = median_ms(short_actions.times[name])
        size = max(long_actions.sizes[name])
        lines.append(
            f"| {name} | {long_ms:.1f} | {short_ms:.1f} | {long_ms / short_ms:.2f} | "
            f"{size / 1000:.1f} KB |"
        )
    body = "\n".join(lines) + "\n"
    print(body)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", "Annotate page", body)
        print("Updated docs/benchmarks.md")


if __name__ == "__main__":
    main()
