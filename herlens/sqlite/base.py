"""SQLite for herlens: Django's backend, with writers of one process taking turns in order.

With ``BEGIN IMMEDIATE`` a transaction that wants to write waits for SQLite's
write lock in SQLite's busy handler, which sleeps and retries: under 50 writers
at once some waiter kept losing the lock to newer ones until its busy timeout ran
out ("database is locked", 1 request in 2,000 in bench/load.py). Here the threads
of a process queue on one lock before they begin, so SQLite's lock is only ever
contended by other processes (the task worker), and a waiting request waits its
turn instead of failing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

#: Longest a transaction waits for its turn before giving up as SQLite would.
WAIT_SECONDS = 60
WAITED_TOO_LONG = "database is locked (waited {seconds} s for the other writers of this process)"

_write_turn = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_turn = False

    def _start_transaction_under_autocommit(self) -> None:
        if not _write_turn.acquire(timeout=WAIT_SECONDS):
            raise OperationalError(WAITED_TOO_LONG.format(seconds=WAIT_SECONDS))
        self._holds_turn = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            _write_turn.release()

    @contextlib.contextmanager
    def _ending_turn(self) -> Iterator[None]:
        """End this connection's turn however the commit, rollback or close goes."""
        try:
            yield
        finally:
            self._end_turn()

    def _commit(self) -> None:
        with self._ending_turn():
            super()._commit()

    def _rollback(self) -> None:
        with self._ending_turn():
            super()._rollback()

    def _close(self) -> None:
        with self._ending_turn():
            super()._close()
