"""The background tasks, under the names the queue has always stored.

Each task lives beside the service it runs (services/suggestions.py,
services/imports.py, services/learning.py); this module keeps
``annotations.tasks.<name>`` importable for tasks queued under that path.
"""

from __future__ import annotations

from annotations.services.imports import import_job_run
from annotations.services.learning import learn_project
from annotations.services.suggestions import suggest_document, suggest_documents

__all__ = ["import_job_run", "learn_project", "suggest_document", "suggest_documents"]
