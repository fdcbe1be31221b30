"""What the benchmark scripts share: docs/benchmarks.md sections, ports, Chromium flags."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def start_gunicorn(root: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """Start herlens under gunicorn with one worker on 127.0.0.1:port, as in production."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "herlens.wsgi"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return server
