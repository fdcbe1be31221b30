from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from annotations.imports.base import Rejected
from annotations.imports.encoding import UNDEFINED_CONTROL, decode, decode_text, plausibility

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


# Legacy files as people's editors and spreadsheets wrote them (tests/data/encodings),
# with the exact text each must give and the encoding the import result must name.
ENCODINGS = Path(__file__).parent / "data" / "encodings"
UTF16_TEXT = "Zoë’s review — “tender”, 見る and café.\nSecond line.\n"
EXPECTED = {
    "latin1.txt": (
        "Windows-1252",
        "Une crème brûlée où l'on goûte la fraîcheur.\n"
        "Noël à Zürich, naïve et sûre: ça se défend.\n",
    ),
    "cp1252.txt": (
        "Windows-1252",
        "Le critique – sans détour – appelle le film « un miroir » : “tendre”, "
        "dit-il, l’œuvre coûte 12 €.\n",
    ),
    "macroman.txt": ("Mac Roman", "Café crème, déjà vu à l'écran; über-naïf Ångström.\n"),
    "latin9.txt": ("ISO-8859-15", "L'œuvre coûte 20 € ; Œdipe ne s'en soucie guère.\n"),
    "utf16le-bom.txt": ("UTF-16", UTF16_TEXT),
    "utf16be-bom.txt": ("UTF-16", UTF16_TEXT),
    "utf16le-nobom.txt": ("UTF-16", UTF16_TEXT),
    "utf16be-nobom.txt": ("UTF-16", UTF16_TEXT),
    "shiftjis.txt": (
        "Shift-JIS (Windows)",
        "映画の評論：機械の声と孤独について書かれた文章です。\n二行目もあります。\n",
    ),
    "mixed.txt": (
        "UTF-8",
        "Première ligne en UTF-8 : déjà.\n"
        "Deuxième ligne – collée d’un vieux fichier.\n"
        "Troisième ligne, à nouveau UTF-8 — fin.\n",
    ),
    "c1-controls.txt": ("UTF-8", "Pages 10–12 say “hello”.\n"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_legacy_fixture_decodes_to_its_exact_text_and_names_its_encoding(name):
    encoding, text = EXPECTED[name]
    decoded = decode_text((ENCODINGS / name).read_bytes())
    assert decoded.text == text
    assert decoded.encoding == encoding


def test_no_fixture_decodes_to_control_characters_or_replacement_marks():
    for name in EXPECTED:
        text = decode((ENCODINGS / name).read_bytes())
        assert not re.search("[\u0080-\u009f\ufffd]", text), name


def test_mixed_file_says_which_lines_were_read_differently():
    decoded = decode_text((ENCODINGS / "mixed.txt").read_bytes())
    assert decoded.notes == ["line 2 was not UTF-8 and read as Windows-1252"]


def test_c1_controls_are_replaced_and_the_result_says_so():
    decoded = decode_text((ENCODINGS / "c1-controls.txt").read_bytes())
    assert decoded.remark == (
        "3 control characters replaced by the Windows-1252 punctuation "
        "(U+0093 → “, U+0094 → ”, U+0096 → –)"
    )


def test_a_control_character_that_stands_for_nothing_is_refused():
    with pytest.raises(Rejected) as caught:
        decode((ENCODINGS / "c1-undefined.txt").read_bytes())
    assert str(caught.value) == UNDEFINED_CONTROL.format(code=0x81)


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("où", "latin-1"),
        ("crème", "cp1252"),
        ("Une crème où l’on entre – vite.", "cp1252"),
        ("Slavoj Žižek lit l’œuvre.", "cp1252"),
        ("Mémoire d’été à Noël", "mac_roman"),
        ("Grüße aus Köln, schön und süß.", "cp1252"),
    ],
)
def test_short_western_texts_are_not_read_in_a_baltic_or_other_code_page(text, codec):
    assert decode(text.encode(codec)) == text


def test_cyrillic_is_not_taken_for_accented_latin_and_its_encoding_is_named():
    text = "Привет, это рецензия на фильм о голосе машины."
    decoded = decode_text(text.encode("cp1251"))
    assert decoded.text == text
    assert decoded.encoding == "Windows-1251"


def test_utf8_is_read_without_a_remark():
    assert decode_text("crème".encode()).remark == ""


def test_a_legacy_file_says_how_it_was_read():
    assert decode_text("crème".encode("cp1252")).remark == "read as Windows-1252"


def test_western_plausibility_prefers_letters_inside_words():
    assert plausibility("crème brûlée") == 1.0
    assert plausibility("cafŽ") < 0.75  # é in Mac Roman read as Windows-1252
    assert plausibility("lÕŽtŽ") < 0.75
