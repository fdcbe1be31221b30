from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from annotations.worker import ResilientWorker


class Command(DbWorkerCommand):
    help = (
        "Run the task worker: db_worker's loop that reconnects after a database restart, "
        "beats a heartbeat and requeues the tasks of workers that were killed."
    )

    def handle(self, *, verbosity: int, reload: bool, **options) -> None:
        import django_tasks_db.management.commands.db_worker as db_worker

        self.configure_logging(verbosity)
        # db_worker builds its Worker by name; build ours in its place for this process.
        db_worker.Worker = ResilientWorker
        super().handle(verbosity=verbosity, reload=reload, **options)
