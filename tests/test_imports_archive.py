from __future__ import annotations

import io
import struct
import zipfile

import pytest

from annotations.imports.archive import LYING, expand
from annotations.imports.base import ImportLimits, Rejected


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lie_about_sizes(data: bytes, stated: int) -> bytes:
    """Rewrite every uncompressed size in a zip's headers to ``stated``."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        position = patched.find(signature)
        while position != -1:
            patched[position + offset : position + offset + 4] = struct.pack("<I", stated)
            position = patched.find(signature, position + 4)
    return bytes(patched)


def test_members_come_out_in_order_without_folders_or_system_files():
    data = make_zip(
        {"a.txt": b"one", "sub/b.md": b"two", "__MACOSX/._a.txt": b"x", ".DS_Store": b"x"}
    )
    assert list(expand(data, ImportLimits())) == [("a.txt", b"one"), ("sub/b.md", b"two")]


def test_a_zip_that_states_a_small_size_is_stopped():
    data = lie_about_sizes(make_zip({"bomb.txt": b"0" * 2_000_000}), stated=100)
    [(name, result)] = expand(data, ImportLimits())
    assert name == "bomb.txt"
    assert isinstance(result, Rejected)
    assert str(result) == LYING


def test_a_zip_whose_stated_total_is_too_large_is_refused_whole():
    data = make_zip({"a.txt": b"0" * 5000, "b.txt": b"0" * 5000})
    with pytest.raises(Rejected, match="would unpack to"):
        list(expand(data, ImportLimits(max_zip_bytes=8000)))


def test_one_member_over_the_file_limit_is_refused_alone():
    data = make_zip({"big.txt": b"0" * 5000, "small.txt": b"fine"})
    results = dict(expand(data, ImportLimits(max_file_bytes=1000)))
    assert isinstance(results["big.txt"], Rejected)
    assert results["small.txt"] == b"fine"


def test_too_many_files_are_refused():
    data = make_zip({f"{i}.txt": b"x" for i in range(5)})
    with pytest.raises(Rejected, match="holds 5 files; the limit is 4"):
        list(expand(data, ImportLimits(max_files=4)))


def test_nested_zips_are_not_opened():
    data = make_zip({"inner.zip": make_zip({"a.txt": b"a"})})
    [(_, result)] = expand(data, ImportLimits())
    assert "zip inside a zip" in str(result)


def test_encrypted_members_are_refused():
    data = bytearray(make_zip({"secret.txt": b"data"}))
    # Set bit 0 (encrypted) of the flags in the central directory entry.
    flags = data.find(b"PK\x01\x02") + 8
    data[flags] |= 0x1
    [(_, result)] = expand(bytes(data), ImportLimits())
    assert "encrypted" in str(result)


def test_not_a_zip_is_refused():
    with pytest.raises(Rejected, match="not a zip"):
        list(expand(b"hello", ImportLimits()))
