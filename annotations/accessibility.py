"""What a screen reader hears of a highlight: its tag and whose it is.

The annotate page gives each highlight an alternative text (CSS generated content,
so the essay's text and the selection stay exactly the document's): "Claim, by ana:"
before the first word and "(end of Claim)" after the last.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from annotations.models import Span


class SpanLabel(TypedDict):
    start: str
    end: str


def span_label(span: Span, viewer: AbstractBaseUser) -> SpanLabel:
    """Return the words read before and after a span's highlight."""
    if span.is_reference:
        whose = "reference"
    elif span.author_id == viewer.pk:
        whose = "yours"
    else:
        whose = f"by {span.author.get_username()}"
    return {"start": f"{span.tag.name}, {whose}: ", "end": f" (end of {span.tag.name})"}


def span_labels(spans: Iterable[Span], viewer: AbstractBaseUser) -> dict[str, SpanLabel]:
    return {str(span.pk): span_label(span, viewer) for span in spans}
