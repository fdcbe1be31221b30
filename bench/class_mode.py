"""Benchmark class mode: a class of 30 on one long essay.

Run: .venv/bin/python bench/class_mode.py [--port 8191] [--no-write]

Builds, in a throw-away SQLite database, a class with 30 students and one
document of 5,000 words; each student has 40 spans (drawn from 60 shared
passages with jittered boundaries and the odd wrong tag, as a real class
would disagree). Measures in one run:

- server time to render the agreement page (all pairs, all tags, heat maps,
  disputed passages), median of 5, and its SQL queries;
- one live poll when nothing changed: SQL queries and time (median of 200) through
  Django's test client, and CPU time through the WSGI application gunicorn serves
  (herlens/wsgi.py, which answers it before Django's handler), against a plain view of
  the annotate page by the same student in the same run;
- a class of 100 polling every 3 s, as production runs it: gunicorn (2 workers,
  DEBUG off) on 127.0.0.1, each student's poll sent on schedule for POLL_SECONDS,
  and the CPU time the server processes used meanwhile, against the same server
  left idle, against the same polls sent from another session than their page's,
  which the full view answers after loading the session and user, against a
  small static file asked for at the same rate (the floor of any request through
  Django), and against gunicorn serving an empty WSGI application (bench/empty_wsgi.py:
  what gunicorn itself costs per request);
- the same class with each student keeping its connection, as a browser does, on
  gunicorn as ``make run`` serves (threads, keep-alive longer than the poll
  interval), and both floors the same way.

Results replace the "Class mode" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import platform
import random
import re
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import (
    ESSAY_WORDS,
    ROOT,
    Placed,
    bench_env,
    cpu_seconds,
    django_setup,
    replace_section,
    start_gunicorn,
)

django_setup(bench_env(Path(tempfile.mkdtemp(prefix="herlens-bench-class-"))))

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.templatetags.static import static  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotations.management.commands.serve import (  # noqa: E402
    KEEP_ALIVE_SECONDS,
    WEB_THREADS,
)
from annotations.models import Membership, Role, Span  # noqa: E402
from annotations.services.classes import class_create  # noqa: E402
from annotations.services.documents import document_create  # noqa: E402

STUDENTS = 30
SPANS_EACH = 40
PASSAGES = 60
#: The class that polls: this many students, each every POLL_PERIOD seconds.
POLLING_STUDENTS = 100
POLL_PERIOD = 3.0
POLL_SECONDS = 30
#: How long each server is watched idle before its class polls (its idle CPU is taken off).
IDLE_SECONDS = 10
PORT = 8191
#: What gunicorn itself costs per request: an application that answers 204 without Django.
EMPTY_APP = "bench.empty_wsgi"
#: gunicorn as ``make run`` serves (management/commands/serve.py), with the benchmark's workers.
SERVE_OPTIONS = (
    *("--worker-class", "gthread", "--threads", str(WEB_THREADS)),
    *("--keep-alive", str(KEEP_ALIVE_SECONDS)),
)
WORDS = [
    *ESSAY_WORDS,
    *("love", "talk", "writer", "window", "quiet", "morning", "crowd", "phone", "song"),
    *("distance", "will", "might", "perhaps", "surely", "argue", "claim", "suggests", "shows"),
    *("because", "although"),
]


def essay(words: int, seed: int) -> str:
    rng = random.Random(seed)
    paragraphs, current, sentence = [], [], []
    for n in range(words):
        sentence.append(rng.choice(WORDS))
        if len(sentence) >= rng.randint(8, 20):
            current.append(" ".join(sentence).capitalize() + ".")
            sentence = []
            if len(current) >= rng.randint(4, 8):
                paragraphs.append(" ".join(current))
                current = []
        if n == words - 1 and (sentence or current):
            current.append(" ".join(sentence).capitalize() + ".")
            paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def word_bounds(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def build_class(seed: int = 7):
    rng = random.Random(seed)
    User = get_user_model()
    teacher = User.objects.create_user("teacher", password="bench-password-1")
    project = class_create(name="Bench class", teacher=teacher)
    document = document_create(project=project, title="Long essay", text=essay(5_000, 1))
    tags = list(project.tags.all())
    words = word_bounds(document.text)
    # Shared passages of 3-25 words: what a class would mostly agree on.
    passages = []
    for _ in range(PASSAGES):
        first = rng.randrange(0, len(words) - 30)
        passages.append((first, first + rng.randint(3, 25), rng.choice(tags)))
    students = []
    spans = []
    for n in range(STUDENTS):
        student = User.objects.create_user(f"student{n:02d}", password="bench-password-1")
        Membership.objects.create(user=student, project=project, role=Role.ANNOTATOR)
        students.append(student)
        placed = Placed(document, Span)
        for first, last, tag in rng.sample(passages, SPANS_EACH):
            # Boundaries shift by a word now and then; a few pick another tag.
            first = max(0, first + rng.choice((0, 0, 0, -1, 1)))
            last = max(first + 1, last + rng.choice((0, 0, 0, -1, 1, 2)))
            if rng.random() < 0.1:
                tag = rng.choice(tags)
            placed.add(words[first][0], words[last - 1][1], tag, author=student)
        spans += placed.rows
    Span.objects.bulk_create(spans, batch_size=500)
    return project, document, teacher, students, len(spans)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


#: CPU time of the last timed_get's runs (median ms): on a shared machine, wall time also
#: counts the time other processes held the CPU.
LAST_CPU_MS = [0.0]


def timed_get(client: Client, url: str, runs: int, **headers) -> tuple[float, int, int]:
    """Return (median ms, queries of the last run, status)."""
    samples, cpu = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, **headers)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    LAST_CPU_MS[0] = median_ms(cpu)
    return median_ms(samples), len(queries), response.status_code


def wsgi_poll_cpu_ms(poll: str, session: str, runs: int) -> tuple[float, str]:
    """Median CPU ms of one poll through herlens/wsgi.py's application, and its status.

    What gunicorn calls for each request, with an environ as gunicorn builds it.
    """
    from herlens.wsgi import application

    path, _, query = poll.partition("?")
    answered: list[str] = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        answered.append(status)

    samples = []
    for _ in range(runs):
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(PORT),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": f"127.0.0.1:{PORT}",
            "HTTP_COOKIE": f"sessionid={session}",
            "HTTP_HX_REQUEST": "true",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        started = time.process_time()
        result = application(environ, start_response)
        b"".join(result)
        if hasattr(result, "close"):
            result.close()
        samples.append(time.process_time() - started)
    return median_ms(samples), answered[-1]


def server_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


class Student:
    """One polling browser: a new connection for each poll, or one it keeps (keep-alive).

    A browser keeps its connection to the server open and sends the next poll on it, as
    long as the server has not closed it meanwhile (gunicorn closes an idle one after its
    keep-alive); then it opens another. ``opened`` counts the connections opened.
    """

    def __init__(self, port: int, poll: str, session: str, keep_alive: bool) -> None:
        self.port, self.poll, self.keep_alive = port, poll, keep_alive
        self.headers = {"Cookie": f"sessionid={session}", "HX-Request": "true"}
        self.connection: http.client.HTTPConnection | None = None
        self.lock = threading.Lock()
        self.opened = 0

    def send(self) -> int:
        with self.lock:
            if not self.keep_alive:
                self.close()
            for attempt in (1, 2):
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    self.opened += 1
                try:
                    self.connection.request("GET", self.poll, headers=self.headers)
                    response = self.connection.getresponse()
                    response.read()
                    return response.status
                except (http.client.RemoteDisconnected, ConnectionError):
                    # The server closed the idle connection as this poll went out.
                    self.close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def pollers(document, students, *, through_view: bool, static_path: str) -> list[tuple[str, str]]:
    """Each student's (poll URL, session cookie), from the annotate page they opened."""
    url = document.get_absolute_url()
    polls = []
    for student in students:
        client = Client()
        client.force_login(student)
        page = client.get(url).content.decode()
        poll = re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
        if through_view:
            client = Client()
            client.force_login(student)
        polls.append((static_path or poll, client.cookies["sessionid"].value))
    return polls


def on_schedule(browsers: list[Student], send, pids: list[int]) -> tuple[float, float]:
    """Send the polls for POLL_SECONDS, each student every POLL_PERIOD, spread evenly.

    Return the server's CPU seconds meanwhile and the seconds it took.
    """
    gap = POLL_PERIOD / len(browsers)
    with ThreadPoolExecutor(max_workers=8) as pool:
        began_cpu = cpu_seconds(pids)
        began = time.perf_counter()
        sent = 0
        while (due := sent * gap) < POLL_SECONDS:
            delay = began + due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, browsers[sent % len(browsers)])
            sent += 1
    return cpu_seconds(pids) - began_cpu, time.perf_counter() - began


def poll_load(
    project,
    document,
    students,
    port: int = PORT,
    *,
    through_view: bool = False,
    static_path: str = "",
    keep_alive: bool = False,
    app: str = "herlens.wsgi",
) -> dict[str, float]:
    """Run a class polling its server; return the server's share of one core, busy and idle.

    ``through_view``: each student polls from another session than the page's, so no poll
    is answered before the session and user are loaded (the baseline: every poll goes to
    views/live.py, which answers 204 after the same check). ``static_path``: every request
    asks for that static file instead (the floor: what any request costs this server).
    ``keep_alive``: gunicorn as ``make run`` serves (SERVE_OPTIONS), each student keeping
    its connection; else gunicorn's default (sync) workers, a connection per answer.
    ``app``: another WSGI application to serve them (the floor of gunicorn alone).
    """
    polls = pollers(document, students, through_view=through_view, static_path=static_path)
    options = SERVE_OPTIONS if keep_alive else ()
    server = start_gunicorn(ROOT, port, {**os.environ}, workers=2, options=options, app=app)
    browsers = [Student(port, poll, session, keep_alive) for poll, session in polls]
    statuses: list[int] = []
    lock = threading.Lock()

    def send(browser: Student) -> None:
        status = browser.send()
        with lock:
            statuses.append(status)

    try:
        for browser in browsers:  # every worker imports everything and warms up
            send(browser)
        pids = server_pids(server.pid)
        time.sleep(1)
        idle_before = cpu_seconds(pids)
        time.sleep(IDLE_SECONDS)
        idle = cpu_seconds(pids) - idle_before
        for browser in browsers:  # as before the idle time: connections open again
            send(browser)
        statuses.clear()
        opened_before = sum(browser.opened for browser in browsers)
        busy, elapsed = on_schedule(browsers, send, pids)
        opened = sum(browser.opened for browser in browsers) - opened_before
    finally:
        for browser in browsers:
            browser.close()
        server.terminate()
        server.wait(timeout=10)
    assert statuses, "no poll was answered"
    assert set(statuses) == {200 if static_path else 204}, set(statuses)
    return {
        "polls": len(statuses),
        "seconds": elapsed,
        "busy_share": busy / elapsed,
        "idle_share": idle / IDLE_SECONDS,
        "cpu_ms_per_poll": (busy - idle * elapsed / IDLE_SECONDS) / len(statuses) * 1000,
        "connections": opened,
    }


def class_rows(
    load: dict, full: dict, floor: dict, bare: dict, kept: dict, kept_floor: dict, kept_bare: dict
) -> list:
    """The table rows of the polling class, its baseline and its floors."""
    return [
        (
            f"**A class of {POLLING_STUDENTS} polling every {POLL_PERIOD:.0f} s** "
            f"({load['polls']:,} polls in {load['seconds']:.0f} s, all 204), gunicorn with 2 "
            "workers (sync, its default: a new connection for every poll): server CPU as a "
            "share of one core (goal: under 5%)",
            f"**{load['busy_share']:.1%}** ({load['cpu_ms_per_poll']:.2f} ms of CPU per poll)",
        ),
        (
            "baseline, same run: the same polls, each through the full view (session and user "
            "loaded first, as every poll was before)",
            f"{full['busy_share']:.1%} ({full['cpu_ms_per_poll']:.2f} ms of CPU per poll); "
            f"the class costs {load['cpu_ms_per_poll'] / full['cpu_ms_per_poll']:.2f}x that",
        ),
        (
            "floor, same run: a small static file (whitenoise) asked for at the same rate",
            f"{floor['busy_share']:.1%} ({floor['cpu_ms_per_poll']:.2f} ms of CPU per request)",
        ),
        (
            "floor, same run: gunicorn alone, serving an empty WSGI application (every request "
            "answered 204, no Django) at the same rate",
            f"{bare['busy_share']:.1%} ({bare['cpu_ms_per_poll']:.2f} ms of CPU per request)",
        ),
        (
            f"**The same class, each student keeping its connection as a browser does**, gunicorn "
            f"with 2 workers as `make run` serves (gthread, keep-alive {KEEP_ALIVE_SECONDS} s, "
            f"longer than the poll interval; {kept['polls']:,} polls, "
            f"{kept['connections']} connections opened)",
            f"**{kept['busy_share']:.1%}** ({kept['cpu_ms_per_poll']:.2f} ms of CPU per poll)",
        ),
        (
            "floor, same run: the static file at the same rate on kept connections",
            f"{kept_floor['busy_share']:.1%} ({kept_floor['cpu_ms_per_poll']:.2f} ms of CPU "
            "per request)",
        ),
        (
            "floor, same run: gunicorn alone (the empty WSGI application) on kept connections",
            f"{kept_bare['busy_share']:.1%} ({kept_bare['cpu_ms_per_poll']:.2f} ms of CPU "
            "per request)",
        ),
        (
            f"floor: the same server idle for {IDLE_SECONDS} s",
            f"{load['idle_share']:.1%} of one core",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=PORT, help="for the polling class's gunicorn")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    project, document, teacher, students, span_count = build_class()
    words = len(document.text.split())

    teacher_client = Client()
    teacher_client.force_login(teacher)
    agreement_url = reverse("annotations:agreement", args=[project.slug])
    teacher_client.get(agreement_url)  # warm templates
    agreement_ms, agreement_queries, status = timed_get(teacher_client, agreement_url, 5)
    agreement_cpu_ms = LAST_CPU_MS[0]
    assert status == 200
    teacher_page_ms, teacher_page_queries, _ = timed_get(
        teacher_client, document.get_absolute_url(), 5
    )

    # A student in an open class sees all 1,200 spans: the heaviest poll and page.
    project.visibility = "open"
    project.save()
    student = Client()
    student.force_login(students[0])
    page = student.get(document.get_absolute_url()).content.decode()
    poll = re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    htmx = {"HTTP_HX_REQUEST": "true"}
    poll_ms, poll_queries, poll_status = timed_get(student, poll, 200, **htmx)
    assert poll_status == 204, poll_status
    wsgi_ms, wsgi_status = wsgi_poll_cpu_ms(poll, student.cookies["sessionid"].value, 200)
    assert wsgi_status.startswith("204"), wsgi_status
    page_ms, page_queries, _ = timed_get(student, document.get_absolute_url(), 5)

    User = get_user_model()
    polling = list(students)
    for n in range(STUDENTS, POLLING_STUDENTS):
        extra = User.objects.create_user(f"student{n:02d}", password="bench-password-1")
        Membership.objects.create(user=extra, project=project, role=Role.ANNOTATOR)
        polling.append(extra)
    favicon = static("favicon.svg")
    load = poll_load(project, document, polling, args.port)
    full = poll_load(project, document, polling, args.port, through_view=True)
    floor = poll_load(project, document, polling, args.port, static_path=favicon)
    bare = poll_load(project, document, polling, args.port, app=EMPTY_APP)
    kept = poll_load(project, document, polling, args.port, keep_alive=True)
    kept_floor = poll_load(
        project, document, polling, args.port, static_path=favicon, keep_alive=True
    )
    kept_bare = poll_load(project, document, polling, args.port, keep_alive=True, app=EMPTY_APP)

    rows = [
        (
            f"Agreement page ({STUDENTS} students x {SPANS_EACH} spans = {span_count} spans, "
            f"{words:,} words, 3 tags), median of 5",
            f"{agreement_ms:.0f} ms ({agreement_cpu_ms:.0f} ms of CPU), {agreement_queries} queries",
        ),
        (
            "Annotate page for the teacher (all spans, reader colours), median of 5",
            f"{teacher_page_ms:.0f} ms, {teacher_page_queries} queries",
        ),
        (
            "Live poll, nothing changed (204), median of 200",
            f"{poll_ms:.2f} ms, {poll_queries} queries (session, membership, revision and the count of span changes at once)",
        ),
        (
            "The same poll through herlens/wsgi.py's application (what gunicorn calls; "
            "answered before Django's handler), median of 200",
            f"{wsgi_ms:.3f} ms of CPU",
        ),
        (
            "Plain annotate page view by the same student (open class), median of 5",
            f"{page_ms:.0f} ms, {page_queries} queries",
        ),
        ("Poll cost / page view cost (time)", f"{poll_ms / page_ms:.3f}"),
        *class_rows(load, full, floor, bare, kept, kept_floor, kept_bare),
    ]
    body = (
        f"Run `python bench/class_mode.py` (CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, SQLite, in-process test client; {time.strftime('%Y-%m-%d')}).\n\n"
        "| measure | herlens |\n|---|---|\n"
        + "\n".join(f"| {label} | {value} |" for label, value in rows)
        + "\n\nThe in-process figures are server time without HTTP; the polling class is "
        "measured over HTTP, and counts the CPU time of the gunicorn master and workers only "
        "(the benchmark's own client runs in another process), less their idle CPU. Goals: the agreement page under "
        "150 ms, a class of 100 polling under 5% of one core. Load average at the end of this "
        f"run: {os.getloadavg()[0]:.1f} (2 cores shared with other work)."
    )
    print(body)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", "Class mode", body)


if __name__ == "__main__":
    main()
