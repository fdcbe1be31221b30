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
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from annotations.imports.archive import size_words
from annotations.imports.base import ImportLimits

OUTSIDE = "the stored upload is not in the uploads folder"
REQUEST_TOO_LARGE = (
    "This upload is {size}; one upload can hold at most {limit}. Nothing was saved. "
    "Split the files into several uploads."
)


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


@receiver(post_delete, sender="annotations.ImportJob")
def _job_deleted(sender, instance, **kwargs) -> None:
    """A job deleted before its worker ran (with its project, say) leaves no files behind."""
    job_id = instance.pk
    transaction.on_commit(lambda: remove_job(job_id))


def limits_sentence() -> str:
    """State the upload limits the way the import page shows them."""
    limits = ImportLimits.from_settings()
    return (
        f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files per upload (put more in a .zip), "
        f"each up to {limit_words(limits.max_file_bytes)}; a .zip may unpack to "
        f"{limit_words(limits.max_zip_bytes)} and hold {limits.max_files} files; one upload "
        f"carries at most {limit_words(settings.HERLENS_UPLOAD_MAX_REQUEST_BYTES)} in all."
    )


def limit_words(count: int) -> str:
    """Return a configured limit as people write it: "100 MB", "1 GB" (exact when it is)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return size_words(count)
