from __future__ import annotations

import codecs

import pytest

from annotations.imports.base import Rejected
from annotations.imports.encoding import decode

TEXT = "Zoë’s café review — “tender”.\nSecond line."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "utf32-bom"],
)
def test_unicode_encodings_decode_to_the_same_text(data):
    assert decode(data) == TEXT


def test_legacy_windows_1252_is_detected():
    text = (
        "Le café était plein; l’été dernier, nous avons vu ce film à Paris. "
        "C’était très émouvant, et la critique l’a trouvé « remarquable »."
    )
    assert decode(text.encode("cp1252")) == text


def test_text_is_normalised_to_nfc_and_newlines():
    assert decode("Zoe\u0308\r\nnext\rlast".encode()) == "Zoë\nnext\nlast"


def test_binary_data_is_rejected():
    with pytest.raises(Rejected, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")


def test_false_bom_is_rejected_in_words():
    with pytest.raises(Rejected, match="UTF-8"):
        decode(codecs.BOM_UTF8 + b"\xff\xfe\xfa")


def test_normalising_can_be_switched_off():
    assert decode("e\u0308".encode(), normalise=False) == "e\u0308"
