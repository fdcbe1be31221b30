"""Logging as Django sets it up by default, without loading its error pages into every command.

Django's default logging has a handler that mails the site's admins the report of a
server error, and that handler imports the report's class (``django.views.debug``,
and with it the template engine) as soon as it is made: a twentieth of every
command's start-up, for a report that a command never writes. Here the handler
imports it when a report is first written; everything else is Django's default,
applied first as Django applies it, then herlens's ``LOGGING``.
"""

from __future__ import annotations

import copy
import logging
import logging.config
from typing import Any

from django.conf import settings
from django.utils.log import DEFAULT_LOGGING, AdminEmailHandler
from django.utils.module_loading import import_string


class AdminEmailHandlerLoadingItsReporterOnUse(AdminEmailHandler):
    """Django's ``AdminEmailHandler``, importing its report's class when it first writes one."""

    def __init__(
        self,
        include_html: bool = False,
        email_backend: str | None = None,
        reporter_class: str | None = None,
    ) -> None:
        logging.Handler.__init__(self)
        self.include_html = include_html
        self.email_backend = email_backend
        self.reporter_class_path = reporter_class

    @property
    def reporter_class(self) -> type:
        return import_string(self.reporter_class_path or settings.DEFAULT_EXCEPTION_REPORTER)


def django_default_logging() -> dict[str, Any]:
    """Django's default logging configuration, its admins' mail handler the lazy one."""
    config = copy.deepcopy(DEFAULT_LOGGING)
    handler = f"{__name__}.{AdminEmailHandlerLoadingItsReporterOnUse.__name__}"
    config["handlers"]["mail_admins"]["class"] = handler
    return config


def configure(logging_settings: dict[str, Any]) -> None:
    """Apply Django's default logging, then the project's (what ``django.setup()`` would do)."""
    logging.config.dictConfig(django_default_logging())
    logging.config.dictConfig(logging_settings)
