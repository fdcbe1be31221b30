"""Run the suggestion pipeline in a child process that exits when it has been idle.

spaCy and a loaded pipeline stay in a process's memory until it exits (a module
cannot be unloaded), so a task worker that once computed suggestions would hold
them for good. Instead the worker hands the texts to a child process that loads
the pipeline, answers as long as work keeps coming, and exits after
``HERLENS_PIPELINE_IDLE_SECONDS`` without any; the next task starts a new one.

This module imports neither spaCy nor Django at import time: the child process
starts from a fresh interpreter (``spawn``) and only needs the pure pipeline code.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotations.suggest.pipeline import Suggester

#: Texts of one project, its list of names and the folder of its learning (or None).
Group = tuple[list[str], tuple[str, ...], "Path | None"]

CHILD_LOST = (
    "The suggestion process stopped before it answered (it was killed or ran out of memory)."
)


class PipelineFailed(RuntimeError):
    """The pipeline raised in the child process; the message names the original error."""


class PipelineProcess:
    """Stand-in for a ``Suggester`` whose pipeline runs in a child process."""

    def __init__(self, name: str, idle_seconds: float) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None

    def suggest_many(
        self,
        texts: Iterable[str],
        names: Iterable[str] = (),
        batch_size: int = 16,
        learned_dir: Path | None = None,
    ) -> list[list[SimpleNamespace]]:
        """Return the suggestions of each text, as ``Suggester.suggest_many`` yields them.

        ``learned_dir`` is the folder of a project's learning (services/learned.py):
        the child loads it once and applies it, as ``learned=`` does in-process.
        Each suggestion comes back with the fields of a ``Candidate`` as attributes.
        """
        return self.start([(list(texts), tuple(names), learned_dir)], batch_size)()[0]

    def start(
        self, groups: list[Group], batch_size: int = 16
    ) -> Callable[[], list[list[list[SimpleNamespace]]]]:
        """Send the child several groups of texts at once; return what waits for the answer.

        The caller does other work (writing the previous batch) while the child
        computes, then calls the returned function, which it must call before it
        starts anything else here: the child is held for it until then. One request
        a batch, answered before the next is sent, so neither side ever waits on a
        full pipe while the other does too.
        """
        request = [
            (texts, names, batch_size, str(where) if where is not None else None)
            for texts, names, where in groups
        ]
        self._lock.acquire()
        try:
            connection = self._send(request)
        except BaseException:
            self._lock.release()
            raise

        def answer() -> list[list[list[SimpleNamespace]]]:
            try:
                try:
                    status, value = connection.recv()
                except (EOFError, OSError):
                    # Lost while computing: once more with a fresh child, waiting this time.
                    self._forget_child()
                    status, value = self._send(request).recv()
            except (EOFError, OSError):
                self._forget_child()
                raise RuntimeError(CHILD_LOST) from None
            finally:
                self._lock.release()
            if status == "error":
                raise PipelineFailed(value)
            return [
                [[SimpleNamespace(**item) for item in items] for items in found] for found in value
            ]

        return answer

    def _send(self, request: list) -> Connection:
        # A child that has just timed out exits without reading the request;
        # one more try with a fresh child covers that (and one killed between tasks).
        for attempt in range(2):
            connection = self._connection_to_child()
            try:
                connection.send(request)
                return connection
            except OSError:
                self._forget_child()
                if attempt:
                    raise RuntimeError(CHILD_LOST) from None
        raise AssertionError("unreachable")

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs, else None."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def close(self) -> None:
        """Ask the child to exit now (it would after its idle time anyway)."""
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.send(None)
            if self._process is not None:
                self._process.join(timeout=10)
            self._forget_child()

    def _connection_to_child(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self._forget_child()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=serve,
            args=(theirs, self.name, self.idle_seconds),
            name="herlens-suggestions",
            daemon=True,
        )
        process.start()
        # Only the child holds its end now, so its exit reads as EOF here.
        theirs.close()
        self._process, self._connection = process, ours
        return ours

    def _forget_child(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.join(timeout=1)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process.close()
        self._process = self._connection = None


def serve(connection: Connection, name: str, idle_seconds: float) -> None:
    """The child: load the pipeline, answer requests, exit after idle_seconds without one."""
    from annotations.suggest.pipeline import get_suggester

    loaded: dict[str, Any] = {}
    try:
        suggester = get_suggester(name)
    except Exception as error:  # reported to every request until the child exits
        suggester, failure = None, _described(error)
    while connection.poll(idle_seconds):
        try:
            request = connection.recv()
        except EOFError:  # the worker has gone
            return
        if request is None:
            return
        reply: tuple[str, Any]
        if suggester is None:
            reply = ("error", failure)
        else:
            try:
                reply = ("ok", [_suggest_group(suggester, group, loaded) for group in request])
            except Exception as error:
                reply = ("error", _described(error))
        connection.send(reply)


def _suggest_group(suggester: Suggester, group: tuple, loaded: dict[str, Any]) -> list:
    texts, names, batch_size, learned_dir = group
    learned = _learned(learned_dir, loaded) if learned_dir else None
    found = suggester.suggest_many(texts, names, batch_size=batch_size, learned=learned)
    # Plain fields: unpickling Candidate objects would import spaCy in the worker.
    return [[asdict(item) for item in items] for items in found]


#: Learnings (one per project and version) the child keeps loaded at once.
LOADED_LEARNINGS = 32


def _learned(folder: str, loaded: dict[str, Any]) -> Any:
    """Return the learning stored in ``folder``, loading it on first use.

    A folder holds one version that never changes, so its path is the cache key.
    """
    learned = loaded.get(folder)
    if learned is None:
        from annotations.suggest.learned import Learned

        if len(loaded) >= LOADED_LEARNINGS:
            loaded.clear()
        learned = loaded[folder] = Learned.from_disk(Path(folder))
    return learned


def _described(error: Exception) -> str:
    # Sent as text: the worker need not import spaCy to unpickle spaCy's errors.
    return f"{type(error).__name__}: {error}"


_lock = threading.Lock()
_processes: dict[str, PipelineProcess] = {}


def get_runner(name: str) -> Suggester | PipelineProcess:
    """Return what runs the pipeline ``name`` for this process's tasks.

    A child process that exits when idle (``HERLENS_PIPELINE_IDLE_SECONDS`` > 0,
    the default), or this process's own ``Suggester`` when the setting is 0.
    """
    from django.conf import settings

    idle_seconds = getattr(settings, "HERLENS_PIPELINE_IDLE_SECONDS", 0)
    if not idle_seconds:
        from annotations.suggest.pipeline import get_suggester

        return get_suggester(name)
    with _lock:
        runner = _processes.get(name)
        if runner is None or runner.idle_seconds != idle_seconds:
            runner = _processes[name] = PipelineProcess(name, idle_seconds)
    return runner
