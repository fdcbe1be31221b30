"""Class mode's pure helpers: join codes, one-time passwords, roster lines, usernames, pseudonyms.

No database here, so each rule is tested on its own.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

#: Letters and digits that cannot be misread for each other (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """Return a typed or pasted code in stored form: upper case, no dashes or spaces."""
    return re.sub(r"[^A-Z0-9]", "", raw.upper())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def new_password() -> str:
    """Return a one-time password easy to read aloud and type: three groups of four."""
    alphabet = CODE_ALPHABET.lower()
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


EMAIL_RE = re.compile(r"[^\s<>,;@]+@[^\s<>,;@]+\.[^\s<>,;@]+")


@dataclass(frozen=True, slots=True)
class RosterLine:
    name: str
    email: str


def parse_roster(text: str) -> list[RosterLine]:
    """Read one person per line: "Ada Lovelace <ada@example.org>", "Ada, ada@x.org", a name or an e-mail."""
    people: list[RosterLine] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = EMAIL_RE.search(line)
        email = match.group(0).lower() if match else ""
        name = (line[: match.start()] + line[match.end() :]) if match else line
        name = re.sub(r"[<>,;\t]+", " ", name)
        name = " ".join(name.split())
        people.append(RosterLine(name=name, email=email))
    return people


def username_base(line: RosterLine) -> str:
    """Return a plain ASCII username stem: the e-mail's local part, or first name + last initial."""
    if line.email:
        stem = line.email.split("@", 1)[0]
    else:
        words = line.name.split()
        stem = words[0] + (words[-1][:1] if len(words) > 1 else "") if words else ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9._-]", "", ascii_stem.lower())[:24]
    return cleaned or "student"


def unique_username(base: str, taken: set[str]) -> str:
    """Return ``base`` or ``base2``, ``base3``... whichever is not taken (case-insensitively)."""
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate.lower())
    return candidate
