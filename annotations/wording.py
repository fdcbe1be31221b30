"""How messages for people are worded: a capital first letter, a closing stop, counted nouns.

Pure: the services, the importers and the views share these so a message reads
the same wherever it is raised.
"""

from __future__ import annotations


def capitalised(message: str) -> str:
    """Return message with its first letter in upper case (the rest as it is)."""
    return message[:1].upper() + message[1:]


def sentence(message: str) -> str:
    """Return message as a sentence: capital first letter, closing stop."""
    message = capitalised(message.strip())
    return message if message.endswith((".", "?", "!")) else message + "."


def counted(number: int, noun: str) -> str:
    """Return "1 span", "2 spans"."""
    return f"{number} {noun}" + ("" if number == 1 else "s")
