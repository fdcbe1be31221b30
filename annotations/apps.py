from __future__ import annotations

from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the first-login check for accounts a teacher created.
        from annotations import (
            checks,  # noqa: F401 - registers the system checks
            middleware,  # noqa: F401
        )
