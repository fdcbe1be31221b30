"""Where a project's learning is stored, and loading it in the worker.

Each finished training is a folder ``<HERLENS_VAR_DIR>/learned/<project id>/v<version>/``
written by services/learning.py; the newest finished version is the one used.
The worker loads a version once and keeps it while it is the newest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from annotations.models import LearningRun, RunStatus

if TYPE_CHECKING:
    # Imported when first needed: it imports spaCy, which a worker that runs the
    # pipeline in a child process never needs itself.
    from annotations.suggest.learned import Learned

#: Projects whose learning a worker keeps loaded at once.
LOADED_PROJECTS = 32

_lock = threading.Lock()
_loaded: dict[int, tuple[int, Learned]] = {}


def learning_root() -> Path:
    return Path(settings.HERLENS_VAR_DIR) / "learned"


def version_dir(project_id: int, version: int) -> Path:
    return learning_root() / str(project_id) / f"v{version}"


def _newest_version(project_id: int) -> int | None:
    return (
        LearningRun.objects.filter(project_id=project_id, status=RunStatus.DONE)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )


def project_learned_dir(project_id: int) -> Path | None:
    """The folder of the project's newest finished learning, or None if there is none.

    For a pipeline in a child process, which loads the folder itself.
    """
    version = _newest_version(project_id)
    if version is None:
        return None
    path = version_dir(project_id, version)
    # Trained on another machine, or deleted: the rules work alone.
    return path if (path / "meta.json").is_file() else None


def project_learned(project_id: int) -> Learned | None:
    """The project's newest finished learning, or None (then the rules work alone)."""
    version = _newest_version(project_id)
    if version is None:
        return None
    cached = _loaded.get(project_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    path = version_dir(project_id, version)
    if not (path / "meta.json").is_file():
        return None  # trained on another machine, or deleted: the rules work alone
    from annotations.suggest.learned import Learned

    with _lock:
        learned = Learned.from_disk(path)
        if len(_loaded) >= LOADED_PROJECTS:
            _loaded.clear()
        _loaded[project_id] = (version, learned)
    return learned
