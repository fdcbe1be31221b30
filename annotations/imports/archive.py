"""Reading zips safely: counted, limited decompression that stops a zip that lies.

A zip states each member's uncompressed size, but a hostile one can state a
small size and inflate to gigabytes (a "zip bomb"). Members are therefore
read in small pieces and the bytes actually produced are counted against the
stated size and the limits; the reading stops as soon as either is passed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from annotations.imports.base import ImportLimits, Rejected, extension

_PIECE = 64 * 1024
LYING = (
    "the zip's stated size or checksum for this file does not match what it holds; "
    "reading was stopped (the zip may be damaged or hostile)"
)


def open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise Rejected("this is not a zip file that can be opened (it may be damaged)") from None


def is_visible(info: zipfile.ZipInfo) -> bool:
    """Return whether a member is a user's file, not a folder or an operating system's note."""
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    return not (
        info.is_dir() or "__MACOSX" in parts or any(part.startswith(".") for part in parts if part)
    )


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Return a member's bytes, refusing to decompress more than ``limit`` or its stated size."""
    if info.flag_bits & 0x1:
        raise Rejected("the file is encrypted (password-protected) inside the zip")
    if info.file_size > limit:
        raise Rejected(
            f"the file is {size_words(info.file_size)}; the limit is {size_words(limit)}"
        )
    pieces: list[bytes] = []
    produced = 0
    try:
        with archive.open(info) as member:
            while piece := member.read(_PIECE):
                produced += len(piece)
                if produced > info.file_size or produced > limit:
                    raise Rejected(LYING)
                pieces.append(piece)
    except zipfile.BadZipFile:
        # zipfile stops at the stated size and then finds the checksum wrong.
        raise Rejected(LYING) from None
    except (EOFError, OSError, NotImplementedError) as error:
        raise Rejected(f"the file cannot be read from the zip ({error})") from None
    return b"".join(pieces)


def expand(data: bytes, limits: ImportLimits) -> Iterator[tuple[str, bytes | Rejected]]:
    """Yield (name, bytes or the reason it was refused) for each file in a zip."""
    archive = open_zip(data)
    members = [info for info in archive.infolist() if is_visible(info)]
    if len(members) > limits.max_files:
        raise Rejected(f"the zip holds {len(members)} files; the limit is {limits.max_files}")
    stated = sum(info.file_size for info in members)
    if stated > limits.max_zip_bytes:
        limit = size_words(limits.max_zip_bytes)
        raise Rejected(f"the zip would unpack to {size_words(stated)}; the limit is {limit}")
    budget = limits.max_zip_bytes
    for info in members:
        name = info.filename
        if extension(name) == "zip":
            yield name, Rejected("a zip inside a zip is not opened; upload it on its own")
            continue
        try:
            content = read_member(archive, info, min(limits.max_file_bytes, budget))
        except Rejected as error:
            yield name, error
            continue
        budget -= len(content)
        yield name, content


def size_words(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} bytes"
