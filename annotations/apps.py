from __future__ import annotations

import gc

from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from annotations import checks  # noqa: F401 - registers the system checks
        from annotations.imports import uploads  # noqa: F401 - removes a deleted job's files

        # Not middleware.py, which would load much of the web side into every command.
        from annotations.logins import note_failed_login, note_first_login

        # The first-login check for accounts a teacher created, and the address throttle.
        user_logged_in.connect(note_first_login, dispatch_uid="herlens-note-first-login")
        user_login_failed.connect(note_failed_login, dispatch_uid="herlens-note-failed-login")
        # Everything loaded by now lives as long as the process: set it aside, so that no later
        # collection walks it again (they took a tenth or more of an export's time), and
        # collect from here on (manage.py holds collection off while a command starts).
        gc.freeze()
        gc.enable()
