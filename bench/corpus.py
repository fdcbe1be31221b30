"""Benchmark corpus import and export as a user runs them; results go to docs/benchmarks.md.

The work: 1,000 essays of about 1,000 words with 20 spans each, imported from one
JSONL file by ``manage.py import_documents``, then exported as CSV (one row per
span) by ``manage.py export_corpus`` and over HTTP from gunicorn (2 workers,
DEBUG off) through the API. Commands run as subprocesses, so their figures include
start-up, as a user sees them. Import and export are repeated on a corpus ten
times larger to show that peak memory does not grow with the project.

The floors, measured in the same run: a bare ``python -c "import django"``; the
same documents and spans inserted with raw SQL (executemany on SQLite, COPY on
PostgreSQL) from rows already in memory; the csv module writing the same CSV rows
from a list in memory.

    python bench/corpus.py                 # SQLite in a temporary folder
    python bench/corpus.py --postgres postgres://postgres@127.0.0.1:5432/herlens_bench
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, label_studio

ESSAYS = 1000
WORDS = 1000
SPANS = 20
SCALE = 10
#: The 1x figures are the median of this many runs.
REPEATS = 5
#: gunicorn listens here (the benchmark's own port), with this many workers.
#: Another free port can be given in HERLENS_BENCH_PORT (several runs on one machine).
PORT = int(os.environ.get("HERLENS_BENCH_PORT", "8190"))
WORKERS = 2
TAGS = ("claim", "prediction", "film-reference")
SECTION = "Corpus import and export"


# ---- the corpus, written by us ---------------------------------------------------------

SYLLABLES = tuple(
    "ka lo mi ne ru sa te vo fi da gre mon tal ser ish ent ow ar ly ing".split()  # noqa: SIM905 - a word list reads better as one string
)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 1, 2, 2, 3))))


def essay(rng: random.Random, number: int) -> dict:
    """Return one essay of about WORDS words with SPANS spans, as a JSONL object."""
    words: list[tuple[int, int]] = []
    parts: list[str] = []
    length = 0
    count = 0
    while count < WORDS:
        sentence_words = rng.randint(8, 20)
        for index in range(sentence_words):
            word = _word(rng)
            if index == 0:
                word = word.capitalize()
            if rng.random() < 0.01:
                word = rng.choice(("café", "naïve", "Zoë", "🎬", "🤖"))
            if parts and not parts[-1].endswith("\n"):
                parts.append(" ")
                length += 1
            words.append((length, length + len(word)))
            parts.append(word)
            length += len(word)
            count += 1
        parts.append(".")
        length += 1
        if rng.random() < 0.15:
            parts.append("\n\n")
            length += 2
    text = "".join(parts)
    spans = {}
    while len(spans) < SPANS:
        first = rng.randrange(len(words) - 6)
        last = first + rng.randint(0, 5)
        start, end = words[first][0], words[last][1]
        tag = rng.choice(TAGS)
        spans[(start, end, tag)] = {
            "start": start,
            "end": end,
            "text": text[start:end],
            "tag": tag,
            "annotator": "bench",
        }
    return {"title": f"Essay {number}", "text": text, "spans": list(spans.values())}


def write_corpus(path: Path, essays: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(essays):
            out.write(json.dumps(essay(rng, number), ensure_ascii=False) + "\n")


# ---- phases that run inside Django, each in its own process ---------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "herlens.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()


def phase_setup(args) -> dict:
    _django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotations.services.projects import project_create
    from annotations.services.tokens import api_token_create

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-only")
    slugs = [f"bench-1x-{run}" for run in range(REPEATS)]
    slugs += [f"bench-raw-{run}" for run in range(REPEATS)]
    for slug in (*slugs, "bench-10x"):
        project_create(name=slug, slug=slug, owner=user)
    _token, raw = api_token_create(user=user, name="benchmark")
    return {"token": raw}


def phase_raw_insert(args) -> dict:
    """The floor of an import: the same rows inserted with raw SQL, nothing checked.

    The file is read and the rows built before the clock starts; the clock covers
    one transaction that inserts the documents (executemany) and the spans
    (executemany on SQLite, COPY on PostgreSQL, as the import itself does).
    """
    _django()
    from django.db import connection, transaction
    from django.utils import timezone

    from annotations.models import Document, Project, Span, Tag

    project = Project.objects.get(slug=args.project)
    tags = {tag.slug: tag.pk for tag in Tag.objects.filter(project=project)}
    user_id = project.memberships.get().user_id
    essays = [json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines()]
    now = timezone.now()
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        quote = connection.ops.quote_name
        table = quote(Document._meta.db_table)
        columns = ("project_id", "title", "author", "source", "text", "metadata")
        columns += ("created_at", "updated_at", "revealed_at")
        insert = (
            f"INSERT INTO {table} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        returning = connection.vendor == "postgresql"
        ids = []
        for essay in essays:
            row = (project.pk, essay["title"], "", "", essay["text"], "{}", now, now, None)
            cursor.execute(insert + (" RETURNING id" if returning else ""), row)
            ids.append(cursor.fetchone()[0] if returning else cursor.lastrowid)
        span_columns = (
            "document_id",
            "start",
            "end",
            "tag_id",
            "author_id",
            "note",
            "quote",
            "origin",
            "is_reference",
            "created_at",
            "updated_at",
        )
        rows = [
            (
                pk,
                s["start"],
                s["end"],
                tags[s["tag"]],
                user_id,
                "",
                s["text"],
                "manual",
                False,
                now,
                now,
            )
            for pk, essay in zip(ids, essays, strict=True)
            for s in essay["spans"]
        ]
        span_table = quote(Span._meta.db_table)
        names = ", ".join(map(quote, span_columns))
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {span_table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {span_table} ({names}) VALUES ({', '.join(['%s'] * len(span_columns))})",
                rows,
            )
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "documents": len(ids), "spans": len(rows)}


PHASES = {"setup": phase_setup, "raw_insert": phase_raw_insert}


def run_phase(name: str, env: dict, **options) -> dict:
    command = [sys.executable, __file__, "--phase", name]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"phase {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- what a user runs, timed from outside ------------------------------------------------


def timed(command: list[str], env: dict, *, expect: int = 0) -> dict:
    """Run a command; return its wall time and peak memory (max RSS) as measured by the OS."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    if code != expect:
        raise SystemExit(f"{' '.join(command)} exited with {code}:\n{process.stderr.read()}")
    process.stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024}


def manage(*arguments: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *arguments]


def csv_rows(path: Path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as source:
        return sum(1 for _ in csv.reader(source)) - 1


def floor_csv(reference: Path, out: Path) -> float:
    """Write the rows of an export with the csv module from a list in memory: the least it costs.

    Plain Python, no Django: the rows come from the export just made, with the
    same formula guard applied to every cell while writing.
    """
    triggers = ("=", "+", "-", "@", "\t", "\r")

    def guard_cell(value: str) -> str:
        return "'" + value if value.startswith(triggers) else value

    with open(reference, encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        columns = next(reader)
        rows = [[_unguard(cell, triggers) for cell in row] for row in reader]
    began = time.perf_counter()
    with open(out, "w", encoding="utf-8", newline="") as target:
        target.write("\ufeff")
        writer = csv.writer(target, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([guard_cell(cell) for cell in row])
    return time.perf_counter() - began


def _unguard(cell: str, triggers: tuple[str, ...]) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(triggers) else cell


def http_export(port: int, slug: str, token: str, out: Path) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/projects/{slug}/export?format=csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    began = time.perf_counter()
    with urllib.request.urlopen(request) as response, open(out, "wb") as target:
        while chunk := response.read(1 << 16):
            target.write(chunk)
    return time.perf_counter() - began


def start_server(env: dict) -> subprocess.Popen:
    from common import start_gunicorn

    return start_gunicorn(ROOT, PORT, env, workers=WORKERS)


def median_of(runs: list[dict]) -> dict:
    """The median time of the runs, with the highest peak memory of any of them."""
    result = {"seconds": statistics.median(run["seconds"] for run in runs)}
    if all("cpu" in run for run in runs):
        result["cpu"] = statistics.median(run["cpu"] for run in runs)
    peaks = [run["peak_mb"] for run in runs if "peak_mb" in run]
    if peaks:
        result["peak_mb"] = max(peaks)
    return result


# ---- the whole run -------------------------------------------------------------------


def measure(database: str, workdir: Path, small: Path, large: Path) -> dict:
    from common import bench_env, fresh_postgres

    env = {**os.environ, **bench_env(workdir), "PYTHONPATH": str(ROOT)}
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
        (workdir / "herlens.sqlite3").unlink(missing_ok=True)
    else:
        env["DATABASE_URL"] = fresh_postgres(database)
    token = run_phase("setup", env)["token"]
    # A command that starts, connects, finds nothing to do and exits: its start-up.
    started = [
        timed(manage("export_corpus", "no-such-project"), env, expect=1) for _ in range(REPEATS)
    ]
    one_x = workdir / "1x.csv"
    imports = [
        timed(manage("import_documents", f"bench-1x-{run}", str(small)), env)
        for run in range(REPEATS)
    ]
    raw = [
        run_phase("raw_insert", env, project=f"bench-raw-{run}", file=small)
        for run in range(REPEATS)
    ]
    exports = [
        timed(manage("export_corpus", "bench-1x-0", "-o", str(one_x)), env) for _ in range(REPEATS)
    ]
    rows = csv_rows(one_x)
    floor = [{"seconds": floor_csv(one_x, workdir / "floor.csv")} for _ in range(REPEATS)]
    from common import server_cpu

    server = start_server(env)
    try:
        http_export(PORT, "bench-1x-0", token, workdir / "warm.csv")  # both workers warm up
        http_export(PORT, "bench-1x-0", token, workdir / "warm.csv")
        over_http = []
        for _ in range(REPEATS):
            began = server_cpu(server.pid)
            seconds = http_export(PORT, "bench-1x-0", token, workdir / "http.csv")
            over_http.append({"seconds": seconds, "cpu": server_cpu(server.pid) - began})
    finally:
        server.terminate()
        server.wait(timeout=60)  # a loaded machine may take a while
    if (workdir / "http.csv").read_bytes() != one_x.read_bytes():
        raise SystemExit("the export over HTTP differs from the command's")
    return {
        "startup": median_of(started),
        "import": median_of(imports),
        "raw_insert": median_of(raw),
        "export": {**median_of(exports), "rows": rows},
        "export_http": median_of(over_http),
        "floor": median_of(floor),
        "import_10x": timed(manage("import_documents", "bench-10x", str(large)), env),
        "export_10x": {
            **timed(manage("export_corpus", "bench-10x", "-o", str(workdir / "10x.csv")), env),
            "rows": csv_rows(workdir / "10x.csv"),
        },
    }


def compile_bytecode() -> None:
    """Write herlens's bytecode before timing anything, as any run or installation would.

    Python caches a module's bytecode the first time it imports it, unless told not
    to (PYTHONDONTWRITEBYTECODE, as on this machine): then every command compiled
    herlens's own modules from source again, some 30 ms of each start-up that no
    installed herlens spends. Django and the other libraries are installed with theirs.
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "annotations", "herlens"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def startup(env: dict) -> dict:
    """Median start-up of a bare Python importing Django, the floor of any command."""
    bare = [timed([sys.executable, "-c", "import django"], env) for _ in range(REPEATS)]
    return median_of(bare)


def report(runs: dict[str, dict], essays: int, floor_start: dict) -> str:
    spans = essays * SPANS
    peer = label_studio()
    lines = [
        f"Measured by `python bench/corpus.py` on {time.strftime('%Y-%m-%d')} "
        f"({os.cpu_count()} cores, CPython {sys.version.split()[0]}). Corpus written by the "
        f"benchmark: {essays:,} essays of about {WORDS:,} words with {SPANS} spans each "
        f"({spans:,} spans), in one JSONL file; the 10x corpus has {essays * SCALE:,} essays. "
        "Commands run as a user runs them, start-up included; the HTTP export is a request to "
        f"gunicorn ({WORKERS} workers, DEBUG off) through the API. Times are medians of "
        f"{REPEATS} runs; peak memory is the process's maximum resident set size. CPU is the "
        "CPU time the command (or, over HTTP, gunicorn's processes) used: on a shared machine "
        "the wall time also counts the time other processes held the CPU (load average "
        f"{os.getloadavg()[0]:.1f} at the end of this run).",
        "",
        f"Label Studio's figures (its HTTP import and CSV export of the same corpus) come from "
        f"{peer.source}; the floors were measured in this run.",
        "",
        "| work | Label Studio | goal | " + " | ".join(f"herlens ({name})" for name in runs) + " |",
        "|---|---|---|" + "---|" * len(runs),
    ]

    def row(label: str, peer: str, goal: str, cells: list[str]) -> None:
        lines.append(f"| {label} | {peer} | {goal} | " + " | ".join(cells) + " |")

    def ratio(seconds: float, peer: float) -> str:
        if seconds <= peer:
            return f"{peer / seconds:.1f}x faster than Label Studio"
        return f"{seconds / peer:.1f}x slower than Label Studio"

    row(
        f"import {essays:,} essays with {spans:,} spans: `import_documents`, start-up included",
        f"{peer.import_s:.2f} s",
        f"<= {peer.import_s / 3:.2f} s (3x faster)",
        [
            f"{r['import']['seconds']:.2f} s ({ratio(r['import']['seconds'], peer.import_s)}; "
            f"CPU {r['import']['cpu']:.2f} s), peak {r['import']['peak_mb']:.0f} MB"
            for r in runs.values()
        ],
    )
    row(
        "floor: the same rows inserted with raw SQL, in one transaction (no start-up)",
        "",
        "",
        [
            f"{r['raw_insert']['seconds']:.2f} s "
            f"({'COPY' if name == 'PostgreSQL' else 'executemany'}); the import takes "
            f"{r['import']['seconds'] / r['raw_insert']['seconds']:.1f}x"
            for name, r in runs.items()
        ],
    )
    row(
        "start-up of a command: `export_corpus` naming no project (starts, checks, exits)",
        "",
        "well under 1 s",
        [
            f"{r['startup']['seconds']:.2f} s (CPU {r['startup']['cpu']:.2f} s)"
            for r in runs.values()
        ],
    )
    row(
        'floor: start-up of a bare `python -c "import django"`',
        "",
        "",
        [f"{floor_start['seconds']:.2f} s (CPU {floor_start['cpu']:.2f} s)" for _ in runs],
    )
    row(
        f"export {runs[next(iter(runs))]['export']['rows']:,} spans as CSV over HTTP (API)",
        f"{peer.export_csv_s:.2f} s",
        f"<= {peer.export_csv_s / 10:.2f} s (10x faster)",
        [
            f"{r['export_http']['seconds']:.2f} s "
            f"({ratio(r['export_http']['seconds'], peer.export_csv_s)}; "
            f"server CPU {r['export_http']['cpu']:.2f} s)"
            for r in runs.values()
        ],
    )
    row(
        "export the same by `export_corpus`, start-up included",
        f"{peer.export_csv_s:.2f} s",
        f"<= {peer.export_csv_s / 10:.2f} s (10x faster)",
        [
            f"{r['export']['seconds']:.2f} s ({ratio(r['export']['seconds'], peer.export_csv_s)}; "
            f"CPU {r['export']['cpu']:.2f} s), peak {r['export']['peak_mb']:.0f} MB"
            for r in runs.values()
        ],
    )
    row(
        "floor: csv module writing the same rows from a list in memory",
        "",
        "HTTP export <= 2x",
        [
            f"{r['floor']['seconds']:.2f} s; the HTTP export takes "
            f"{r['export_http']['seconds'] / r['floor']['seconds']:.1f}x "
            f"(its server CPU {r['export_http']['cpu'] / r['floor']['seconds']:.1f}x)"
            for r in runs.values()
        ],
    )
    row(
        f"import {essays * SCALE:,} essays (10x) by command",
        "",
        "",
        [
            f"{r['import_10x']['seconds']:.2f} s, peak {r['import_10x']['peak_mb']:.0f} MB"
            for r in runs.values()
        ],
    )
    row(
        f"export {essays * SCALE:,} essays (10x) as CSV by command",
        "",
        "same peak as 1x",
        [
            f"{r['export_10x']['seconds']:.2f} s ({r['export_10x']['rows']:,} rows), "
            f"peak {r['export_10x']['peak_mb']:.0f} MB vs {r['export']['peak_mb']:.0f} MB at 1x"
            for r in runs.values()
        ],
    )
    lines += [
        "",
        "The csv floor only formats and writes rows it already holds; herlens also reads them "
        "from the database and finds each span's sentence and paragraph. The raw-SQL floor "
        "checks nothing; the import also parses the file, normalises and fingerprints every "
        "text, checks every span against its text, stores each text twice (the document and "
        "its first revision, which the floor leaves out) and queues the suggestions. An import "
        "holds the file it reads in memory and stores documents in batches of 500 (on "
        "PostgreSQL documents, revisions and spans by COPY); an export holds one page of 200 "
        "documents at a time.",
        "",
    ]
    return "\n".join(lines)


def write_report(section: str) -> Path:
    from common import replace_section

    path = ROOT / "docs" / "benchmarks.md"
    replace_section(path, SECTION, section)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--project")
    parser.add_argument("--file")
    parser.add_argument("--essays", type=int, default=ESSAYS)
    parser.add_argument("--postgres", help="Also measure on this PostgreSQL database (recreated).")
    parser.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="herlens-bench-") as folder:
        workdir = Path(folder)
        small, large = workdir / "1x.jsonl", workdir / "10x.jsonl"
        write_corpus(small, args.essays)
        write_corpus(large, args.essays * SCALE)
        runs = {"SQLite": measure("sqlite", workdir, small, large)}
        if args.postgres:
            runs["PostgreSQL"] = measure(args.postgres, workdir, small, large)
        floor_start = startup({**os.environ})
    section = report(runs, args.essays, floor_start)
    print(section)
    if not args.no_write:
        print(f"written to {write_report(section)}")


if __name__ == "__main__":
    main()
