"""What the benchmark scripts share: the path to herlens, Django set up in the script's own
process, docs/benchmarks.md sections, ports, Chromium flags."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: The repository, where the scripts run manage.py and gunicorn and write docs/benchmarks.md.
ROOT = Path(__file__).resolve().parent.parent
# A script run as `python bench/x.py` finds this module (Python puts bench/ on the path), but
# not herlens one folder up: put the repository first, so the scripts time this checkout.
sys.path.insert(0, str(ROOT))

HEADER = (
    "# Benchmarks\n\n"
    "Each section is written by the script it names, on the machine it ran on; rerun a script to\n"
    "refresh its section. Figures are for a 2-core machine unless the section says otherwise.\n"
)


def replace_section(path: Path, title: str, body: str) -> None:
    """Replace (or append) the section headed '## title' in path with body."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def publish(title: str, body: str, write: bool, path: Path | None = None) -> None:
    """Print a section's body and, when write is set, put it in docs/benchmarks.md."""
    print(body)
    if write:
        path = path or Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
        replace_section(path, title, body)
        print(f"Updated {path.name}")


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a process started in its own group, and everything it started; kill it if it hangs."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def bench_env(workdir: Path) -> dict[str, str]:
    """Return production-like settings for a throw-away herlens under workdir (no TLS, SQLite)."""
    return {
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "SECRET_KEY": "bench-only-" + "k" * 40,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "HERLENS_VAR_DIR": str(workdir),
        "STATIC_ROOT": str(workdir / "static"),
    }


def django_setup(env: dict[str, str]) -> None:
    """Set Django up in this process with the settings in env (see bench_env).

    A DATABASE_URL left in the environment is dropped unless env names one, so a script's
    throw-away herlens never writes to a developer's database.
    """
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


#: Words the benchmarks build their essays from (film criticism's vocabulary, shuffled).
ESSAY_WORDS = [
    *("the", "film", "voice", "machine", "screen", "city", "light", "lonely", "future"),
    *("letter", "camera", "memory", "rain", "operating", "system"),
]

#: Chromium flags for a headless run on a machine without a network or a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10.0) -> None:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (one that has ended counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    """User + system CPU time so far of a server and the processes it started (its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds([pid, *map(int, children)])


def fresh_postgres(url: str) -> str:
    """Drop and create the database the URL names (on a throw-away server), and return the URL."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url


def start_gunicorn(
    root: Path,
    port: int,
    env: dict[str, str],
    workers: int = 1,
    options: Sequence[str] = (),
    app: str = "herlens.wsgi",
) -> subprocess.Popen:
    """Start herlens under gunicorn on 127.0.0.1:port with its workers, as in production.

    ``options``: more gunicorn options (another worker class, a keep-alive). ``app``:
    another WSGI application to serve the same way (a floor).
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app]
        + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), *options],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return server


class Placed:
    """Spans or suggestions of one document, at most one per place and tag, for bulk_create."""

    def __init__(self, document, model) -> None:
        self.document, self.model = document, model
        self.rows: list = []
        self.seen: set[tuple[int, int, int]] = set()

    def add(self, start: int, end: int, tag, **fields) -> None:
        """Add a row at [start, end) with tag, unless that place already has that tag."""
        if (start, end, tag.pk) in self.seen:
            return
        self.seen.add((start, end, tag.pk))
        quote = self.document.text[start:end]
        self.rows.append(
            self.model(document=self.document, start=start, end=end, tag=tag, quote=quote, **fields)
        )


@dataclass(frozen=True)
class PeerFigures:
    """Label Studio 1.23.2 doing the benchmarks' work on this kind of machine (medians)."""

    #: Where the figures come from, for the text under each table.
    source: str
    import_s: float
    export_csv_s: float
    #: One annotation saved through its API (the peer saves spans an annotation at a time).
    create_ms: float
    #: Every one of the long essay's 2,000 spans drawn in Chromium, from navigation start.
    draw_s: float


#: The side-by-side run of 2026-12-01 (the machine under some load), when no run of today's is at hand.
RECORDED_LABEL_STUDIO = PeerFigures(
    source="the side-by-side run of 2026-12-01 on this kind of machine",
    import_s=2.61,
    export_csv_s=2.9,
    create_ms=67.9,
    draw_s=15.6,
)


def label_studio() -> PeerFigures:
    """Label Studio's figures from the last side-by-side run on this machine, else the recorded ones.

    The peer benchmark writes its results to HERLENS_PEER_RESULTS (default
    ~/.cache/herlens-peers/results); ratios against figures measured here the same day are
    the honest ones, since this machine's speed varies from day to day.
    """
    folder = Path(
        os.environ.get("HERLENS_PEER_RESULTS", Path.home() / ".cache/herlens-peers/results")
    )
    path = folder / "label_studio.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        figures = PeerFigures(
            source=(
                "its own benchmark run on this machine on "
                + time.strftime("%Y-%m-%d", time.localtime(path.stat().st_mtime))
            ),
            import_s=results["import"]["seconds"]["median"],
            export_csv_s=results["export"]["CSV"]["seconds"]["median"],
            create_ms=results["annotate"]["latency_ms"]["median"],
            draw_s=results["browser"]["all_spans_ms_median"] / 1000,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return RECORDED_LABEL_STUDIO
    return figures
