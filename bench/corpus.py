"""Benchmark corpus import and export; results go to docs/benchmarks.md.

The work matches /work-peers' measurements: 1,000 essays of about 1,000 words with
20 spans each, imported from one JSONL file, then exported as CSV (one row per
span). The export is repeated on a corpus ten times larger to show that its
peak memory does not grow with the project. The floor is a plain Python script
that writes the same rows with the csv module from a list already in memory.

Each phase runs in its own process so its peak memory (max RSS) is its own.

    python bench/corpus.py                 # SQLite in a temporary folder
    python bench/corpus.py --postgres postgres://postgres@127.0.0.1:5432/herlens_bench
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ESSAYS = 1000
WORDS = 1000
SPANS = 20
SCALE = 10
#: The 1x figures are the best of this many runs (on a shared machine, the least disturbed).
REPEATS = 3
TAGS = ("claim", "prediction", "film-reference")
SECTION = "Corpus import and export"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


# ---- phases, each in its own process ---------------------------------------------------


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

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-only")
    for slug in (*(f"bench-1x-{run}" for run in range(REPEATS)), "bench-10x"):
        project_create(name=slug, slug=slug, owner=user)
    return {}


def phase_import(args) -> dict:
    _django()
    from django.contrib.auth import get_user_model

    from annotations.imports.base import ImportLimits
    from annotations.models import Project
    from annotations.services.imports import import_files

    project = Project.objects.get(slug=args.project)
    user = get_user_model().objects.get(username="bench")
    data = Path(args.file).read_bytes()
    baseline = peak_rss_mb()
    began = time.perf_counter()
    [result] = import_files(
        project=project,
        user=user,
        sources=[(Path(args.file).name, data)],
        limits=ImportLimits(max_file_bytes=1 << 30, max_zip_bytes=1 << 30),
    )
    seconds = time.perf_counter() - began
    assert result.status == "imported", result.message
    return {
        "seconds": seconds,
        "documents": result.documents,
        "spans": result.spans,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def phase_export(args) -> dict:
    _django()
    from annotations.exports import export_stream
    from annotations.models import Project

    project = Project.objects.get(slug=args.project)
    baseline = peak_rss_mb()
    began = time.perf_counter()
    size = 0
    with open(args.out, "wb") as out:
        for chunk in export_stream("csv", project):
            size += len(chunk)
            out.write(chunk)
    seconds = time.perf_counter() - began
    with open(args.out, encoding="utf-8-sig", newline="") as check:
        rows = sum(1 for _ in csv.reader(check)) - 1
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": size,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def phase_floor(args) -> dict:
    """Write the same rows as the export from a list in memory: the least the work costs.

    Plain Python, no Django: the rows come from the export just made, with the
    same formula guard applied while writing.
    """
    triggers = ("=", "+", "-", "@", "\t", "\r")

    def guard_cell(value: str) -> str:
        return "'" + value if value.startswith(triggers) else value

    with open(args.reference, encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        columns = next(reader)
        rows = [[_unguard(cell, triggers) for cell in row] for row in reader]
    baseline = peak_rss_mb()
    began = time.perf_counter()
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([guard_cell(cell) for cell in row])
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "rows": len(rows),
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def _unguard(cell: str, triggers: tuple[str, ...]) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(triggers) else cell


PHASES = {
    "setup": phase_setup,
    "import": phase_import,
    "export": phase_export,
    "floor": phase_floor,
}


def run_phase(name: str, env: dict, **options) -> dict:
    command = [sys.executable, __file__, "--phase", name]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"phase {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the whole run -------------------------------------------------------------------


def fresh_postgres(url: str) -> str:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return url


def measure(database: str, workdir: Path, small: Path, large: Path) -> dict:
    env = {
        **os.environ,
        # Production settings: with DEBUG on, Django keeps every query in memory.
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "HERLENS_VAR_DIR": str(workdir),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
        (workdir / "herlens.sqlite3").unlink(missing_ok=True)
    else:
        env["DATABASE_URL"] = fresh_postgres(database)
    run_phase("setup", env)
    one_x = workdir / "1x.csv"
    results = {
        "import": best(
            run_phase("import", env, project=f"bench-1x-{run}", file=small)
            for run in range(REPEATS)
        ),
        "export": best(
            run_phase("export", env, project="bench-1x-0", out=one_x) for _ in range(REPEATS)
        ),
        "floor": best(
            run_phase("floor", env, reference=one_x, out=workdir / "floor.csv")
            for _ in range(REPEATS)
        ),
        "import_10x": run_phase("import", env, project="bench-10x", file=large),
        "export_10x": run_phase("export", env, project="bench-10x", out=workdir / "10x.csv"),
    }
    return results


def best(runs) -> dict:
    """Return the fastest run, with the highest peak memory of all runs."""
    runs = list(runs)
    fastest = min(runs, key=lambda run: run["seconds"])
    return {**fastest, "peak_mb": max(run["peak_mb"] for run in runs)}


def report(runs: dict[str, dict], essays: int, large_mb: float) -> str:
    lines = [
        f"Measured by `python bench/corpus.py` on {time.strftime('%Y-%m-%d')} "
        f"({os.cpu_count()} cores). Corpus written by the benchmark: {essays:,} essays of "
        f"about {WORDS:,} words with {SPANS} spans each, imported from one JSONL file; the "
        f"10x corpus has {essays * SCALE:,} essays. 1x times are the best of {REPEATS} runs. "
        "Peak memory is the process's maximum "
        "resident set size (the Django process itself starts at the baseline shown).",
        "",
        "| work | Label Studio | doccano | herlens goal | "
        + " | ".join(f"herlens ({name})" for name in runs)
        + " |",
        "|---|---|---|---|" + "---|" * len(runs),
    ]

    def imported(r: dict) -> str:
        i = r["import"]
        return f"{i['seconds']:.2f} s ({i['documents'] / i['seconds']:,.0f} essays/s), peak {i['peak_mb']:.0f} MB"

    def exported(r: dict) -> str:
        e = r["export"]
        return f"{e['seconds']:.2f} s ({e['rows'] / e['seconds']:,.0f} rows/s), peak {e['peak_mb']:.0f} MB"

    def floor(r: dict) -> str:
        ratio = r["export"]["seconds"] / r["floor"]["seconds"]
        return f"{r['floor']['seconds']:.2f} s; herlens takes {ratio:.1f}x the floor"

    def imported_10x(r: dict) -> str:
        return f"{r['import_10x']['seconds']:.2f} s, peak {r['import_10x']['peak_mb']:.0f} MB"

    def exported_10x(r: dict) -> str:
        e, one = r["export_10x"], r["export"]
        return (
            f"{e['seconds']:.2f} s ({e['rows']:,} rows), peak {e['peak_mb']:.0f} MB vs "
            f"{one['peak_mb']:.0f} MB at 1x (baseline {one['baseline_mb']:.0f} MB)"
        )

    # (work, (Label Studio, doccano, herlens goal), how a run's figures read)
    table = [
        (
            f"import {essays:,} essays with their spans",
            ("2.60 s, peak 399 MB", "6.52 s, peak 1.2 GB", "under 0.9 s, flat memory"),
            imported,
        ),
        (
            "export all spans as CSV",
            ("3.01 s, peak 482 MB", "no CSV for spans", "under 0.3 s, memory flat"),
            exported,
        ),
        ("floor: csv module writing the same rows from a list", ("", "", ""), floor),
        (f"import {essays * SCALE:,} essays (10x)", ("", "", ""), imported_10x),
        (
            f"export {essays * SCALE:,} essays (10x) as CSV",
            ("", "", "same peak as 1x"),
            exported_10x,
        ),
    ]
    for label, peers, cell in table:
        cells = [cell(r) for r in runs.values()]
        lines.append(f"| {label} | " + " | ".join([*peers, *cells]) + " |")
    lines += [
        "",
        "The floor only formats and writes rows it already holds; herlens also reads them from "
        "the database and finds each span's sentence and paragraph. An import stores documents "
        "in batches of 500 as it reads them, but holds the uploaded file itself in memory "
        f"({large_mb:.0f} MB at 10x), which is most of its growth; an export holds one page of "
        "200 documents at a time.",
        "",
    ]
    return "\n".join(lines)


def write_report(section: str) -> Path:
    from bench.common import replace_section

    path = ROOT / "docs" / "benchmarks.md"
    replace_section(path, SECTION, section)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--project")
    parser.add_argument("--file")
    parser.add_argument("--out")
    parser.add_argument("--reference")
    parser.add_argument("--essays", type=int, default=ESSAYS)
    parser.add_argument("--postgres", help="Also measure on this PostgreSQL database (recreated).")
    parser.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    with tempfile.TemporaryDirectory(prefix="herlens-bench-") as folder:
        workdir = Path(folder)
        small, large = workdir / "1x.jsonl", workdir / "10x.jsonl"
        write_corpus(small, args.essays)
        write_corpus(large, args.essays * SCALE)
        large_mb = large.stat().st_size / (1024 * 1024)
        runs = {"SQLite": measure("sqlite", workdir, small, large)}
        if args.postgres:
            runs["PostgreSQL"] = measure(args.postgres, workdir, small, large)
    section = report(runs, args.essays, large_mb)
    print(section)
    if not args.no_write:
        print(f"written to {write_report(section)}")


if __name__ == "__main__":
    main()
