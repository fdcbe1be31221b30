"""Where a project's learning is stored, and loading it in the worker.

Each finished training is a folder ``<HERLENS_VAR_DIR>/learned/<project id>/v<version>/``
written by services/learning.py; the newest finished version is the one used.
The worker loads a version once and keeps it while it is the newest.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from annotations.models import LearningRun, RunStatus
from annotations.suggest.learning import Learned

#: Projects whose learning a worker keeps loaded at once.
LOADED_PROJECTS = 32

_lock = threading.Lock()
_loaded: dict[int, tuple[int, Learned]] = {}


def learning_root() -> Path:
    return Path(settings.HERLENS_VAR_DIR) / "learned"


def version_dir(project_id: int, version: int) -> Path:
    return learning_root() / str(project_id) / f"v{version}"


def project_learned(project_id: int) -> Learned | None:
    """The project's newest finished learning, or None (then the rules work alone)."""
    version = (
        LearningRun.objects.filter(project_id=project_id, status=RunStatus.DONE)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        return None
    cached = _loaded.get(project_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    path = version_dir(project_id, version)
    if not (path / "meta.json").is_file():
        return None  # trained on another machine, or deleted: the rules work alone
    with _lock:
        learned = Learned.from_disk(path)
        if len(_loaded) >= LOADED_PROJECTS:
            _loaded.clear()
        _loaded[project_id] = (version, learned)
    return learned
