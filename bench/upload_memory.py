"""Measure how much a large upload raises the web worker's memory (peak RSS).

Run: .venv/bin/python bench/upload_memory.py [--megabytes 90] [--port 8130] [--no-write]

Starts herlens under gunicorn (one worker, DEBUG off, throw-away SQLite), logs in
as a project owner, uploads one text file of the given size through the import
form and reads the web worker's peak resident memory (VmHWM) before and after.
The figure that matters is the ratio of the growth to the file's size: a web
process that holds the file (and copies of it) grows by several times the file,
one that streams it to disk by a small fraction. Only the web process is
measured; the queued import is left for a worker that is not started. Results
replace the "Upload memory" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from common import ESSAY_WORDS, ROOT, bench_env, publish, start_gunicorn

PASSWORD = "bench-upload-pass-77"
SETUP = """
from django.contrib.auth import get_user_model
from annotations import services
owner = get_user_model().objects.create_user("bench-owner", password={password!r})
services.project_create(name="Upload bench", owner=owner)
"""


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def web_worker(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def essay_bytes(size: int) -> bytes:
    line = (" ".join(ESSAY_WORDS) + ".\n").encode()
    return (line * (size // len(line) + 1))[:size]


def multipart(field: str, name: str, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=90)
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="herlens-upload-"))
    env = {**os.environ, **bench_env(workdir)}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(manage + command, env=env, check=True, stdout=subprocess.DEVNULL)
    setup = SETUP.format(password=PASSWORD)
    subprocess.run(manage + ["shell", "-c", setup], env=env, check=True)

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(ROOT, args.port, env)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def csrf() -> str:
            return next(cookie.value for cookie in jar if cookie.name == "csrftoken")

        opener.open(f"{base}/accounts/login/").read()
        login = urllib.parse.urlencode(
            {"username": "bench-owner", "password": PASSWORD, "csrfmiddlewaretoken": csrf()}
        ).encode()
        opener.open(urllib.request.Request(f"{base}/accounts/login/", login)).read()
        page = opener.open(f"{base}/projects/upload-bench/").read().decode()
        action = re.search(r'action="([^"]*/imports/)"', page).group(1)
        worker = web_worker(server.pid)
        before = peak_kib(worker)

        data = essay_bytes(args.megabytes * 1024 * 1024)
        body, content_type = multipart("files", "long.txt", data, {"csrfmiddlewaretoken": csrf()})
        request = urllib.request.Request(
            base + action, body, {"Content-Type": content_type, "Referer": base + "/"}
        )
        started = time.perf_counter()
        status = opener.open(request).status
        seconds = time.perf_counter() - started
        time.sleep(1)
        after = peak_kib(worker)
    finally:
        server.terminate()
        server.wait(timeout=10)

    growth = after - before
    size_kib = len(data) // 1024
    table = (
        "| measure | herlens |\n|---|---|\n"
        f"| uploaded file | {size_kib / 1024:.0f} MB |\n"
        f"| web worker peak memory before the upload | {before / 1024:.0f} MB |\n"
        f"| web worker peak memory after the upload | {after / 1024:.0f} MB |\n"
        f"| **growth / file size** (goal: well under 1) | **{growth / size_kib:.2f}** |\n"
        f"| upload request, answered {status} in | {seconds:.1f} s |\n"
    )
    body_text = (
        f"Run `python bench/upload_memory.py` (CPython {platform.python_version()}, gunicorn, "
        f"DEBUG off, SQLite, {time.strftime('%Y-%m-%d')}). Peak resident memory (VmHWM) of the "
        "one gunicorn worker around one upload through the import form.\n\n"
        f"{table}\n"
        "Before uploads were streamed to disk, a 94 MB file raised a web worker from 144 MB "
        "to 949 MB (growth / size about 8.6).\n"
    )
    publish("Upload memory", body_text, write=not args.no_write)


if __name__ == "__main__":
    main()
