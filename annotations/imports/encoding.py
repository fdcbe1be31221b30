"""Bytes to text, never silently garbled; the result says which encoding was used.

The order is fixed and each step is checked, not guessed:

1. a byte order mark (UTF-8, UTF-16, UTF-32) decides;
2. strict UTF-8;
3. UTF-16 without a BOM, recognised by its zero bytes and then decoded strictly;
4. the Western code pages people's files really come in (Windows-1252, which
   covers Latin-1's letters, then Mac Roman and ISO-8859-15), each decoded
   strictly and accepted only if the letters it produces look like a Western
   language (accented letters inside words, quotes and dashes where they
   belong). Statistical detectors rank Baltic or Central European code pages
   first on short French or German texts, which turns "crème" into "crčme";
   they are asked only after these checks have failed, and what they pick is
   named in the result;
5. a file that is UTF-8 except for some lines in a Western code page (text
   pasted from an older file) is read line by line, and the result lists the
   lines that were read differently.

C1 control characters (U+0080 to U+009F) are never legitimate in a text: they
are Windows-1252 punctuation that passed through a Latin-1 conversion. They are
replaced by the punctuation they stand for, and the result says so; one that
Windows-1252 leaves undefined makes the file refused.
"""

from __future__ import annotations

import codecs
import re
import string
from dataclasses import dataclass, field

from annotations.imports.base import Rejected
from annotations.offsets import normalise_text

NOT_TEXT = "this is not text in an encoding herlens can read; save it as UTF-8 text and try again"
BINARY = "this looks like a binary file, not text"
UNDEFINED_CONTROL = (
    "the text contains the control character U+{code:04X}, which stands for no letter or "
    "punctuation; the file was probably converted with the wrong encoding; save it as UTF-8 "
    "text and try again"
)
MIXED_UNREADABLE = (
    "line {line} is not UTF-8 like the rest of the file and does not read as Windows-1252, "
    "Mac Roman or ISO-8859-15 text either; save the whole file as UTF-8 text and try again"
)

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"
MAC_ROMAN = "Mac Roman"
LATIN_9 = "ISO-8859-15"

#: (display name, Python codec), tried in this order; on equal plausibility the first wins.
WESTERN = ((WINDOWS_1252, "cp1252"), (MAC_ROMAN, "mac_roman"), (LATIN_9, "iso8859_15"))

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

#: Letters of the languages written in the Western code pages, lower and upper case.
_COMMON_LETTERS = frozenset(
    "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿœß" "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞŸŒ"
)  # fmt: skip
#: Letters these code pages hold for names from elsewhere (Žižek, Šostakovič): rarer.
_RARE_LETTERS = frozenset("šžŠŽƒ")
#: Punctuation and signs of ordinary prose; may touch a letter on one side only.
_PROSE_SIGNS = frozenset(
    "“”«»‹›„–—…•·€£¥¢°§©®™±×÷¶¿¡\u00a0ºª²³¹½¼¾µ†‡‰"
)  # fmt: skip
#: Apostrophes and single quotes: also between two letters (l’été, don’t).
_APOSTROPHES = frozenset("’‘‚´")
#: Above this share of accented letters among all letters, a text is not Western.
MOST_ACCENTED = 0.4
#: Texts shorter than this (in letters) are too short to judge by that share ("où").
FEW_LETTERS = 12
#: A later code page replaces an earlier plausible one only when it scores this much higher.
PREFERENCE_MARGIN = 0.15
#: Below this mean score per non-ASCII character, a decoding is not accepted.
PLAUSIBLE = 0.75

_C1 = re.compile("[\u0080-\u009f]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_NON_ASCII_LETTER = re.compile("[^\\W\\d_\x00-\x7f]")
_ASCII_LETTERS = string.ascii_letters.encode()
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass(slots=True)
class Decoded:
    text: str
    #: The encoding the text was read in, as people name it ("UTF-8", "Windows-1252").
    encoding: str
    #: Sentences for the import result about anything that was repaired or read differently.
    notes: list[str] = field(default_factory=list)

    @property
    def remark(self) -> str:
        """What the person who uploaded the file should know; empty for plain UTF-8."""
        parts = [] if self.encoding == UTF8 else [f"read as {self.encoding}"]
        parts.extend(self.notes)
        return "; ".join(parts)


def decode(data: bytes, *, normalise: bool = True) -> str:
    """Return data as normalised text (NFC, "\\n"), or raise Rejected.

    ``normalise=False`` keeps the characters as they are, for formats whose
    offsets count into the text as written (JSONL).
    """
    return decode_text(data, normalise=normalise).text


def decode_text(data: bytes, *, normalise: bool = True) -> Decoded:
    """Return the text, the encoding it was read in and any repairs, or raise Rejected."""
    decoded = _decode(data)
    if "\x00" in decoded.text:
        raise Rejected(BINARY)
    _repair_controls(decoded)
    if normalise:
        decoded.text = normalise_text(decoded.text)
    return decoded


def _decode(data: bytes) -> Decoded:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), name)
            except UnicodeDecodeError:
                raise Rejected(f"the file starts like {name} but is not valid {name}") from None
    try:
        return Decoded(data.decode("utf-8"), UTF8)
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if b"\x00" in data:
        raise Rejected(BINARY)
    if _has_valid_utf8_sequence(data):
        mixed = _mixed(data)
        if mixed is not None:
            return mixed
    western = _western(data)
    if western is not None:
        return western
    return _detected(data)


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """Recognise UTF-16 text without a BOM: mostly-ASCII text has a zero in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_zeros = data[0::2].count(0)
    odd_zeros = data[1::2].count(0)
    half = len(data) // 2
    for zeros, others, codec in (
        (odd_zeros, even_zeros, "utf-16-le"),
        (even_zeros, odd_zeros, "utf-16-be"),
    ):
        if zeros >= half * 0.3 and others <= half * 0.02:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            if _printable_share(text) > 0.95:
                return Decoded(text, "UTF-16")
    return None


def _printable_share(text: str) -> float:
    if not text:
        return 0.0
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return printable / len(text)


def _has_valid_utf8_sequence(data: bytes) -> bool:
    """Whether some multi-byte sequence in data is valid UTF-8 (so part of it is UTF-8)."""
    for match in _UTF8_SEQUENCE.finditer(data):
        try:
            match.group().decode("utf-8")
        except UnicodeDecodeError:  # surrogates and overlong forms match the pattern
            continue
        return True
    return False


def plausibility(text: str) -> float:
    """Return how much text's non-ASCII characters look like a Western language (0 to 1).

    1 when there are none. Each character scores 1 when it is a letter of
    those languages or punctuation where prose puts it, less for rare letters,
    nothing for signs inside words or an upper-case letter after a lower-case
    one (what text read in the wrong code page looks like: "cafŽ", "lÕŽtŽ").
    """
    total = 0
    score = 0.0
    length = len(text)
    ascii_part = text.encode("ascii", "ignore")
    ascii_letters = len(ascii_part) - len(ascii_part.translate(None, _ASCII_LETTERS))
    other_letters = len(_NON_ASCII_LETTER.findall(text))
    letters = ascii_letters + other_letters
    if letters >= FEW_LETTERS and other_letters > MOST_ACCENTED * letters:
        # Western languages write most letters without accents; Cyrillic or
        # Greek read in Windows-1252 is all accented letters ("Ïðèâåò").
        return 0.0
    for match in _NON_ASCII.finditer(text):
        index = match.start()
        char = match.group()
        total += 1
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < length else " "
        if char in _COMMON_LETTERS or char in _RARE_LETTERS:
            if char.isupper() and before.isalpha() and before.islower():
                continue
            score += 1.0 if char in _COMMON_LETTERS else 0.75
        elif char in _APOSTROPHES or (
            char in _PROSE_SIGNS and not (before.isalpha() and after.isalpha())
        ):
            score += 1.0
    return 1.0 if total == 0 else score / total


def _western(data: bytes) -> Decoded | None:
    return _best_western(data)[0]


def _best_western(data: bytes) -> tuple[Decoded | None, float]:
    """Return the most plausible Western reading of data and its score, if any passes."""
    best: Decoded | None = None
    best_score = 0.0
    for name, codec in WESTERN:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = plausibility(text)
        if score < PLAUSIBLE:
            continue
        # Windows-1252 first: most legacy files are, and Mac Roman reads many of its
        # bytes as letters too; a later code page must be clearly better to win.
        if best is None or score > best_score + PREFERENCE_MARGIN:
            best, best_score = Decoded(text, name), score
    return best, best_score


def _mixed(data: bytes) -> Decoded | None:
    """Read a UTF-8 file with some lines in a Western code page, line by line.

    Return None when no line with non-ASCII letters is better read as UTF-8:
    then the whole file is in one code page, and its valid-looking UTF-8
    sequences were chance ("CAFÉ”" in Windows-1252 is valid UTF-8 for "CAFɔ").
    """
    texts: list[str] = []
    others: dict[str, list[int]] = {}
    unreadable: list[int] = []
    genuine = False
    for number, line in enumerate(data.split(b"\n"), start=1):
        western, western_score = _best_western(line)
        try:
            utf8 = line.decode("utf-8")
        except UnicodeDecodeError:
            utf8 = None
        if utf8 is not None and (western is None or plausibility(utf8) >= western_score):
            texts.append(utf8)
            genuine = genuine or not utf8.isascii()
        elif western is not None:
            texts.append(western.text)
            others.setdefault(western.encoding, []).append(number)
        else:
            unreadable.append(number)
            texts.append("")
    if not genuine:
        return None
    if unreadable:
        raise Rejected(MIXED_UNREADABLE.format(line=unreadable[0]))
    notes = [
        f"{_lines_words(numbers)} not UTF-8 and read as {name}" for name, numbers in others.items()
    ]
    return Decoded("\n".join(texts), UTF8, notes)


def _lines_words(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    if len(numbers) > 10:
        shown += f" and {len(numbers) - 10} more"
    return f"line {shown} was" if len(numbers) == 1 else f"lines {shown} were"


def _detected(data: bytes) -> Decoded:
    """Ask charset-normalizer, for the encodings outside the Western ones (Shift-JIS, ...)."""
    # Imported here: few files need it, and every command that loads this module would pay.
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None:
        raise Rejected(NOT_TEXT)
    text = str(match)
    if _printable_share(text) < 0.95:
        raise Rejected(NOT_TEXT)
    return Decoded(text, _display_name(match.encoding))


def _display_name(codec: str) -> str:
    names = {
        "shift_jis": "Shift-JIS",
        "cp932": "Shift-JIS (Windows)",
        "euc_jp": "EUC-JP",
        "gb18030": "GB18030",
        "gb2312": "GB2312",
        "big5": "Big5",
        "euc_kr": "EUC-KR",
        "koi8_r": "KOI8-R",
    }
    if codec in names:
        return names[codec]
    if codec.startswith("cp"):
        return "Windows-" + codec[2:]
    if codec.startswith("iso8859_"):
        return "ISO-8859-" + codec.split("_", 1)[1]
    return codec.replace("_", "-").upper()


def _repair_controls(decoded: Decoded) -> None:
    decoded.text, note = repair_controls(decoded.text)
    if note:
        decoded.notes.append(note)


def repair_controls(text: str) -> tuple[str, str]:
    """Return text with C1 controls replaced by the Windows-1252 punctuation they stand for.

    Also returns a note for the import result ("" when there was nothing to
    repair). One character becomes one character, so offsets stay valid.
    Raises Rejected for a control that Windows-1252 leaves undefined.
    """
    if _C1.search(text) is None:  # almost every text: nothing to list or replace
        return text, ""
    found = sorted(set(_C1.findall(text)))
    replacements = {}
    for char in found:
        try:
            replacements[char] = bytes([ord(char)]).decode("cp1252")
        except UnicodeDecodeError:
            raise Rejected(UNDEFINED_CONTROL.format(code=ord(char))) from None
    count = sum(text.count(char) for char in found)
    repaired = text.translate(
        {ord(char): replacement for char, replacement in replacements.items()}
    )
    pairs = ", ".join(f"U+{ord(c):04X} → {replacements[c]}" for c in found)
    noun = "control character" if count == 1 else "control characters"
    return repaired, f"{count} {noun} replaced by the Windows-1252 punctuation ({pairs})"
