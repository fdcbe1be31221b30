"""Readers side by side: one row per marked passage, one column per reader.

Each tag keeps its colour (and a letter, for those who cannot tell colours apart);
readers are columns, so nothing is coloured by reader. The page compares what the
viewer may see (the blind rule holds: a student before reveal sees only their own
column). ``?layers=`` picks the readers, ``?only=disagreements`` hides agreed rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotations import comparison
from annotations.charts import ink_on
from annotations.exports.pseudonyms import project_pseudonyms
from annotations.models import Tag
from annotations.permissions import Action, allows, spans_visible_in
from annotations.rendering import paragraph_bounds
from annotations.views.access import HtmxHttpRequest, document_for
from annotations.views.layers import REFERENCE_KEY, selected_layers

TEMPLATE = "annotations/compare.html"
ONLY_DISAGREEMENTS = "disagreements"
QUOTE_LIMIT = 220
BLIND_NOTE = "Your classmates’ spans appear here once your teacher reveals this document."


def tag_letter(tag: Tag) -> str:
    return (tag.shortcut or tag.name[:1]).upper()


def _paragraph_of(bounds: list[tuple[int, int, int]], offset: int) -> int:
    return next((n for n, (_gap, start, end) in enumerate(bounds) if start <= offset < end), 0)


@dataclass
class _Readers:
    """Who appears as a column, in which order, under which label."""

    every_key: list[str]
    shown_keys: list[str]
    chosen: set[str]
    labels: dict[str, str]
    pseudonymous: bool


@require_GET
def compare_page(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    project = document.project
    tags = {tag.pk: tag for tag in project.tags.all()}
    spans = list(
        spans_visible_in(request.user, role, document=document)
        .order_by()
        .values_list("pk", "author_id", "is_reference", "tag_id", "start", "end")
    )
    readers = _readers(request, project, role, spans)
    keys = readers.shown_keys
    marks = [
        comparison.Mark(pk, REFERENCE_KEY if is_ref else str(author), tag, start, end)
        for pk, author, is_ref, tag, start, end in spans
    ]
    rows = comparison.passages(
        marks,
        [key for key in keys if key != REFERENCE_KEY],
        [REFERENCE_KEY] if REFERENCE_KEY in keys else [],
    )
    total = len(rows)
    agreed = sum(1 for row in rows if row.agreed)
    only = request.GET.get("only") == ONLY_DISAGREEMENTS
    if only:
        rows = [row for row in rows if not row.agreed]
    table = _table(document, rows, keys, readers.labels, tags)
    context: dict[str, Any] = {
        "project": project,
        "document": document,
        "role": role,
        "columns": [
            # Spans the reader made in the passages listed.
            {"key": key, "label": readers.labels[key], "spans": _chips_in(table, n)}
            for n, key in enumerate(keys)
        ],
        "every_layer": [
            {"key": key, "label": readers.labels[key], "shown": key in keys}
            for key in readers.every_key
        ],
        "rows": table,
        "total": total,
        "agreed": agreed,
        "disagreed": total - agreed,
        "only_disagreements": only,
        "legend": [
            {"tag": tag, "letter": tag_letter(tag), "ink": ink_on(tag.colour)}
            for tag in tags.values()
        ],
        "pseudonymous": readers.pseudonymous,
        "can_pseudonymise": allows(role, Action.ADJUDICATE),
        "can_adjudicate": allows(role, Action.ADJUDICATE),
        "blind_note": BLIND_NOTE if _blind(document, role) else "",
        "toggle_url": _toggle_url(readers, only),
    }
    return render(request, TEMPLATE, context)


def _toggle_url(readers: _Readers, only: bool) -> str:
    """The link that shows only disagreements, or everything again, keeping the other choices."""
    query = {
        **({"layers": ",".join(sorted(readers.chosen))} if readers.chosen else {}),
        **({"pseudonyms": 1} if readers.pseudonymous else {}),
        **({} if only else {"only": ONLY_DISAGREEMENTS}),
    }
    return "?" + urlencode(query)


def _blind(document, role: str) -> bool:
    project = document.project
    return (
        project.is_class
        and project.visibility == "blind"
        and document.revealed_at is None
        and not allows(role, Action.ADJUDICATE)
    )


def _chips_in(table: list[dict], column: int) -> int:
    return sum(len(row["cells"][column]["chips"]) for row in table)


def _readers(request: HtmxHttpRequest, project, role: str, spans: list[tuple]) -> _Readers:
    """Return the columns: every reader with a span, ``?layers=`` picking some, with names."""
    author_ids = {author for _pk, author, is_ref, *_rest in spans if not is_ref}
    users = get_user_model().objects.in_bulk(list(author_ids))
    # Pseudonyms for a projector in front of the class; only for those who see everyone.
    pseudonymous = request.GET.get("pseudonyms") == "1" and allows(role, Action.ADJUDICATE)
    pseudonyms = project_pseudonyms(project) if pseudonymous else {}

    def name(uid: int) -> str:
        if uid == request.user.pk and not pseudonymous:
            return "you"
        return pseudonyms.get(uid) or users[uid].get_username()

    order = sorted(author_ids, key=lambda uid: (pseudonyms.get(uid) or "", name(uid).lower()))
    has_reference = any(is_ref for _pk, _a, is_ref, *_rest in spans)
    every_key = [str(uid) for uid in order] + ([REFERENCE_KEY] if has_reference else [])
    chosen = selected_layers(request.GET.urlencode()) & set(every_key)
    return _Readers(
        every_key=every_key,
        shown_keys=[key for key in every_key if not chosen or key in chosen],
        chosen=chosen,
        labels={str(uid): name(uid) for uid in order} | {REFERENCE_KEY: "reference"},
        pseudonymous=pseudonymous,
    )


def _table(
    document, rows: list, keys: list[str], labels: dict[str, str], tags: dict[int, Tag]
) -> list[dict[str, Any]]:
    """One entry per passage: its quote, paragraph and a cell of tag chips per column."""
    text = document.text
    bounds = paragraph_bounds(text)
    base_url = document.get_absolute_url()
    table = []
    for row in rows:
        quote = text[row.start : row.end].strip()
        cells = []
        for key in keys:
            cell = row.cells[key]
            chips = [
                _chip(text, tags[mark.tag], labels[key], mark, cell, base_url)
                for mark in cell.marks
            ]
            cells.append({"key": key, "label": labels[key], "chips": chips})
        table.append(
            {
                "passage": row,
                "quote": quote if len(quote) <= QUOTE_LIMIT else quote[: QUOTE_LIMIT - 1] + "…",
                "paragraph": _paragraph_of(bounds, row.start) + 1,
                "cells": cells,
            }
        )
    return table


def _chip(text: str, tag: Tag, label: str, mark, cell, base_url: str) -> dict[str, Any]:
    off = mark.span_id in cell.off_bounds
    words = text[mark.start : mark.end].strip()
    return {
        "tag": tag,
        "letter": tag_letter(tag),
        "ink": ink_on(tag.colour),
        "off_bounds": off,
        "describe": f"{label}: {tag.name}" + (f", other bounds: “{words[:120]}”" if off else ""),
        "url": f"{base_url}?span={mark.span_id}#span-panel",
    }
