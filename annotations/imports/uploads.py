"""Uploaded files on their way to the import worker: on disk, never whole in the web process.

Django writes an upload larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
temporary file as it arrives (``TemporaryFileUploadHandler``); the web process
then moves that file into the uploads folder under the var dir, and the
worker is given its name there. The stored name is made by herlens (job and
position), never taken from the upload, and the worker refuses a name that
would leave the folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

OUTSIDE = "the stored upload is not in the uploads folder"


def uploads_dir() -> Path:
    """Return the folder uploads wait in (created if needed)."""
    folder = Path(settings.HERLENS_UPLOADS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(upload: UploadedFile, job_id: int, position: int) -> str:
    """Put an uploaded file in the uploads folder and return its name there.

    A file Django already spooled to disk is moved (a rename on the same
    filesystem); one still in memory (small) is written out in chunks.
    """
    relative = f"job-{job_id}/{position:05d}.upload"
    target = uploads_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        try:
            os.replace(temporary(), target)
            return relative
        except OSError:
            pass  # another filesystem: copy instead
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return relative


def path_of(relative: str) -> Path:
    """Return the stored upload's path, refusing any name that leaves the uploads folder."""
    folder = uploads_dir().resolve()
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        raise ValueError(OUTSIDE)
    return path


def read(relative: str) -> bytes:
    return path_of(relative).read_bytes()


def remove_job(job_id: int) -> None:
    """Delete a job's stored uploads (after the worker has read them, or if it never will)."""
    shutil.rmtree(uploads_dir() / f"job-{job_id}", ignore_errors=True)
