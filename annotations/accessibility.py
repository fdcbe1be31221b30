"""What a screen reader hears of a highlight: its tag and whose it is.

The annotate page gives each highlight an alternative text (CSS generated content,
so the essay's text and the selection stay exactly the document's): "Claim, by ana:"
before the first word and "(end of Claim)" after the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from annotations.models import Span
    from annotations.views.layers import DrawnSpan


class SpanLabel(TypedDict):
    start: str
    end: str


def span_label(
    span: Span | DrawnSpan,
    viewer: AbstractBaseUser,
    tag_names: Mapping[int, str] | None = None,
    author_names: Mapping[int, str] | None = None,
) -> SpanLabel:
    """Return the words read before and after a span's highlight.

    A model span carries its tag and author; a drawn row (views/layers.py) has only their
    ids, named by ``tag_names`` and ``author_names``.
    """
    if span.is_reference:
        whose = "reference"
    elif span.author_id == viewer.pk:
        whose = "yours"
    elif author_names is not None:
        whose = f"by {author_names.get(span.author_id, 'another reader')}"
    else:
        whose = f"by {span.author.get_username()}"
    tag = tag_names[span.tag_id] if tag_names is not None else span.tag.name
    return {"start": f"{tag}, {whose}: ", "end": f" (end of {tag})"}


def span_labels(
    spans: Iterable[Span | DrawnSpan],
    viewer: AbstractBaseUser,
    tag_names: Mapping[int, str] | None = None,
    author_names: Mapping[int, str] | None = None,
) -> list[tuple[str, str, str]]:
    """Return each distinct label once, with the ids of its spans: (start, end, "id id ...").

    A page of 2,000 spans has a handful of labels (tags times readers); written once
    per span they were over half the page.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    # Spans of one tag by one reader share their label: make it once per such pair.
    label_of: dict[tuple[bool, int | None, int], tuple[str, str]] = {}
    for span in spans:
        key = (span.is_reference, span.author_id, span.tag_id)
        words = label_of.get(key)
        if words is None:
            label = span_label(span, viewer, tag_names, author_names)
            words = label_of[key] = (label["start"], label["end"])
        grouped.setdefault(words, []).append(str(span.pk))
    return [(start, end, " ".join(ids)) for (start, end), ids in grouped.items()]
