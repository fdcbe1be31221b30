"""Throughput of the suggestion task against the raw spaCy pipeline, and time to visible.

    .venv/bin/python bench/suggest_throughput.py [--essays 200] [--no-write]

1. Builds a corpus of essays of ~1,000 words from sentences written for this
   benchmark (claims, predictions, film references and plain prose), in a fresh
   SQLite database under a temporary directory.
2. Measures, in the same run and on the same texts:
   - raw: ``nlp.pipe`` over all texts with the same pipeline (tokenizer, sentences,
     cue ruler), no rules, nothing written;
   - task: ``document_suggest`` for each document, one at a time as the
     worker runs it (read the text, pipeline, rules, write the suggestions).
   The ratio task / raw is the figure the goal is about (at least 80%). Each is timed
   in wall-clock time and in CPU time: the CPU the benchmark's process used (and, for
   the task, the pipeline's child process too, read from /proc), which does not count
   the time other processes on a shared machine held the CPU.
3. Peak memory (tracemalloc) of the task over the first half and the whole corpus,
   to show it does not grow with the corpus.
4. With a real ``manage.py db_worker`` (default polling interval) running: the
   time from adding a document until its suggestions are stored, median of 5.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import ROOT, django_setup

SENTENCES = [
    "I think the film {title} is less about machines than about the people who build them.",
    "Critics argue that {character} is the most honest character in the story.",
    "Within a decade, most households will talk to an assistant more often than to a neighbour.",
    "By 2040, synthetic voices are expected to read most of the news aloud.",
    "The film {title} ({year}), directed by {director}, opens in a quiet laboratory.",
    "{character}, played by {actor}, never raises her voice.",
    "The camera lingers on empty rooms and half-finished meals.",
    "Twenty years ago the idea of confiding in software looked absurd.",
    "Will we still need actors when a studio can generate a face for every part?",
    "It is clear that the ending was written to comfort the audience rather than to convince it.",
    "The score is sparse, a few notes on a piano and long stretches of silence.",
    "Some reviewers claimed that the second half drags, and they may be right.",
    "In the next twenty years, classrooms are going to change more than they did in a century.",
    "We watched it twice, once in a cinema and once on a laptop on a train.",
    "The screenplay gives {character} the last word, and the last word is a question.",
    "Obviously, none of this makes the machines villains.",
    "Engineers predict that companion apps will remember every conversation by the end of the decade.",
    "The costumes are soft and warm, as if the future had been knitted by hand.",
    "Her's release came at a moment when phones had only just learned to listen.",
    "The point is that {title} trusts its audience to sit with discomfort.",
    "A long shot of the city at dawn closes the first act.",
    "Most viewers remember the dance scene, but few remember what follows it.",
    "The novel by {director} appeared a year earlier and explains what the film leaves open.",
    "Nobody in the film raises the question of who pays for the servers.",
]
FILMS = [
    ("Moon", 2009, "Duncan Jones", "Sam Bell", "Sam Rockwell"),
    ("Ex Machina", 2014, "Alex Garland", "Ava", "Alicia Vikander"),
    ("Her", 2013, "Spike Jonze", "Samantha", "Scarlett Johansson"),
    ("Solaris", 1972, "Andrei Tarkovsky", "Kris Kelvin", "Donatas Banionis"),
    ("Blade Runner", 1982, "Ridley Scott", "Rachael", "Sean Young"),
    ("WALL-E", 2008, "Andrew Stanton", "EVE", "Elissa Knight"),
]


def make_essay(rng: random.Random, words: int = 1000) -> str:
    title, year, director, character, actor = rng.choice(FILMS)
    paragraphs, current, count = [], [], 0
    while count < words:
        sentence = rng.choice(SENTENCES).format(
            title=title, year=year, director=director, character=character, actor=actor
        )
        current.append(sentence)
        count += len(sentence.split())
        if len(current) == 5:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU time a process has used so far (Linux /proc); 0 when gone."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name, which may hold spaces: utime and stime are 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall-clock and CPU time of one measure: this process's, plus the pipeline child's."""

    def __init__(self, child=None) -> None:
        self.child = child

    def __enter__(self) -> Clock:
        self.pid = self.child.pid if self.child is not None else None
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.child_cpu = cpu_seconds(self.pid)
        return self

    def __exit__(self, *_exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        if self.child is not None:
            pid = self.child.pid
            # A child started during the measure counts from zero.
            self.cpu += cpu_seconds(pid) - (self.child_cpu if pid == self.pid else 0.0)


def setup_django(database: Path) -> None:
    django_setup(
        {
            "DJANGO_SETTINGS_MODULE": "herlens.settings",
            # DEBUG off: with it on, Django keeps every query in memory.
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"sqlite:///{database}",
            "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_LEVEL": "WARNING",
        }
    )
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def time_to_visible(env: dict[str, str], project, texts: list[str]) -> list[float]:
    from annotations.models import RunStatus, SuggestionRun
    from annotations.services.documents import document_create

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # let the worker start and load Django
        waits = []
        for number, text in enumerate(texts):
            started = time.perf_counter()
            document = document_create(project=project, title=f"Visible {number}", text=text)
            while not SuggestionRun.objects.filter(
                document=document, status__in=[RunStatus.DONE, RunStatus.FAILED]
            ).exists():
                if time.perf_counter() - started > 60:
                    raise TimeoutError("the worker did not finish within 60 s")
                time.sleep(0.02)
            waits.append(time.perf_counter() - started)
        return waits
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=7, help="interleaved rounds; medians are reported"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = random.Random(20261126)
    texts = [make_essay(rng) for _ in range(args.essays)]
    total_words = sum(len(text.split()) for text in texts)

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        setup_django(database)
        from django.contrib.auth import get_user_model

        from annotations.services.documents import document_create
        from annotations.services.projects import project_create
        from annotations.services.suggestions import (
            SUGGEST_CHUNK,
            TASK_DOCUMENTS,
            document_suggest,
            documents_suggest,
        )
        from annotations.suggest.pipeline import get_suggester
        from annotations.suggest_process import PipelineProcess, get_runner

        owner = get_user_model().objects.create_user("bench")
        project = project_create(name="Throughput", owner=owner)
        documents = [
            document_create(project=project, title=f"E{i}", text=text, suggest=False)
            for i, text in enumerate(texts)
        ]
        suggester = get_suggester("blank:en")
        list(suggester.nlp.pipe(texts[:5]))  # warm up

        # The machine is shared: the measures alternate within each round, and each round's
        # task / raw ratio compares two runs made moments apart; the median round is reported.
        runner = get_runner("blank:en")
        child = runner if isinstance(runner, PipelineProcess) else None
        raws, rule_times, task_times, single_times = [], [], [], []
        raw_cpus, rule_cpus, task_cpus = [], [], []
        for round_number in range(args.rounds):
            with Clock() as clock:
                for _doc in suggester.nlp.pipe(texts, batch_size=16):
                    pass
            raws.append(clock.wall)
            raw_cpus.append(clock.cpu)

            with Clock() as clock:
                for text in texts:
                    suggester.suggest(text)
            rule_times.append(clock.wall)
            rule_cpus.append(clock.cpu)

            fresh = documents if round_number == 0 else [
                document_create(project=project, title=f"R{round_number}-{i}", text=text, suggest=False)
                for i, text in enumerate(texts)
            ]  # fmt: skip
            with Clock(child) as clock:
                for offset in range(0, len(fresh), TASK_DOCUMENTS):
                    # What one suggest_documents task does with its share of a project.
                    chunk = fresh[offset : offset + TASK_DOCUMENTS]
                    documents_suggest(document_ids=[d.pk for d in chunk], model="blank:en")
            task_times.append(clock.wall)
            task_cpus.append(clock.cpu)

            single = [
                document_create(project=project, title=f"S{round_number}-{i}", text=text, suggest=False)
                for i, text in enumerate(texts)
            ]  # fmt: skip
            started = time.perf_counter()
            for document in single:
                document_suggest(document_id=document.pk, model="blank:en")
            single_times.append(time.perf_counter() - started)
        raw, rules = statistics.median(raws), statistics.median(rule_times)
        task, one = statistics.median(task_times), statistics.median(single_times)
        ratios = sorted(r / t for r, t in zip(raws, task_times, strict=True))
        rules_ratios = sorted(r / t for r, t in zip(raws, rule_times, strict=True))
        # Round 0 starts the pipeline's child process (loading spaCy): its CPU is left out.
        cpu_ratios = sorted(
            r / t for r, t in zip(raw_cpus[1:] or raw_cpus, task_cpus[1:] or task_cpus, strict=True)
        )
        rules_cpu_ratios = sorted(r / t for r, t in zip(raw_cpus, rule_cpus, strict=True))
        raw_cpu, task_cpu = (
            statistics.median(raw_cpus),
            statistics.median(task_cpus[1:] or task_cpus),
        )

        # Memory, in a second pass on fresh documents (tracemalloc slows Python down a lot).
        again = [
            document_create(project=project, title=f"M{i}", text=text, suggest=False)
            for i, text in enumerate(texts)
        ]
        half = len(again) // 2
        tracemalloc.start()
        for document in again[:half]:
            document_suggest(document_id=document.pk, model="blank:en")
        peak_half = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        for document in again[half:]:
            document_suggest(document_id=document.pk, model="blank:en")
        peak_all = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        from annotations.models import Suggestion

        stored = Suggestion.objects.filter(document__in=documents).count()
        env = {**os.environ}
        waits = time_to_visible(env, project, texts[:5])

    raw_rate, rules_rate, task_rate = total_words / raw, total_words / rules, total_words / task
    one_rate = total_words / one
    body = [
        f"Run `python bench/suggest_throughput.py` (CPython {sys.version.split()[0]}, SQLite, "
        f"pipeline `blank:en`, {time.strftime('%Y-%m-%d')}).",
        "",
        f"Corpus: {len(texts)} essays, {total_words:,} words; {stored:,} suggestions stored. "
        f"Medians of {args.rounds} rounds; within a round the measures run one after another, so",
        "each round's ratio compares runs made moments apart (the machine is shared). The",
        "pipeline runs in the worker's child process, as by default: it computes one chunk",
        "while the worker writes the one before. CPU time counts what the work itself took,",
        "in this process and in the child, and not the time other processes held the CPU, so",
        "it holds steady under load; the task's CPU also counts the writes, and the child's",
        "and this process's CPU add up even where they ran at the same time.",
        "",
        "| measure | figure |",
        "|---|---|",
        f"| raw `nlp.pipe` (same pipeline, no rules, nothing written) | {raw_rate:,.0f} words/s ({raw:.2f} s) |",
        f"| pipeline + rules, one text at a time, nothing written | {rules_rate:,.0f} words/s ({rules:.2f} s) |",
        f"| **the task** for a project (`suggest_documents`, {TASK_DOCUMENTS} documents a task, batches of {SUGGEST_CHUNK}): read, pipeline, rules, write | {task_rate:,.0f} words/s ({task:.2f} s) |",
        f"| pipeline + rules / raw, median of the rounds' ratios | {statistics.median(rules_ratios):.0%} |",
        f"| **task / raw (goal: at least 80%)**, median of the rounds' ratios (lowest, highest) | "
        f"**{statistics.median(ratios):.0%}** ({ratios[0]:.0%}, {ratios[-1]:.0%}) |",
        f"| CPU time: raw `nlp.pipe` / the task (this process and the pipeline's child) | {raw_cpu:.2f} s / {task_cpu:.2f} s |",
        f"| pipeline + rules / raw in CPU time, median of the rounds' ratios | {statistics.median(rules_cpu_ratios):.0%} |",
        f"| **task / raw in CPU time**, median of the rounds' ratios but the first (lowest, highest) | "
        f"**{statistics.median(cpu_ratios):.0%}** ({cpu_ratios[0]:.0%}, {cpu_ratios[-1]:.0%}) |",
        f"| the task for one added document (`suggest_document`), one after another | {one_rate:,.0f} words/s ({one:.2f} s), {one_rate / raw_rate:.0%} of raw |",
        f"| peak traced memory of `suggest_document`: first {half} essays / the next {len(texts) - half} | "
        f"{peak_half / 1e6:.1f} MB / {peak_all / 1e6:.1f} MB |",
        f"| adding a document until its suggestions are stored, `db_worker` running (default 1 s polling), median of {len(waits)} | "
        f"{statistics.median(waits):.2f} s (max {max(waits):.2f} s) |",
    ]
    print("\n".join(body))
    if not args.no_write:
        from common import replace_section

        replace_section(ROOT / "docs" / "benchmarks.md", "Suggestion throughput", "\n".join(body))


if __name__ == "__main__":
    main()
