"""Readers side by side: one row per marked passage, one column per reader.

Each tag keeps its colour (and a letter, for those who cannot tell colours apart);
readers are columns, so nothing is coloured by reader. The page compares what the
viewer may see (the blind rule holds: a student before reveal sees only their own
column). ``?layers=`` picks the readers, ``?only=disagreements`` hides agreed rows.
"""

from __future__ import annotations

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
    shown_keys = [key for key in every_key if not chosen or key in chosen]
    readers = [key for key in shown_keys if key != REFERENCE_KEY]
    also = [REFERENCE_KEY] if REFERENCE_KEY in shown_keys else []
    marks = [
        comparison.Mark(pk, REFERENCE_KEY if is_ref else str(author), tag, start, end)
        for pk, author, is_ref, tag, start, end in spans
    ]
    rows = comparison.passages(marks, readers, also)
    total = len(rows)
    agreed = sum(1 for row in rows if row.agreed)
    only = request.GET.get("only") == ONLY_DISAGREEMENTS
    if only:
        rows = [row for row in rows if not row.agreed]

    labels = {str(uid): name(uid) for uid in order} | {REFERENCE_KEY: "reference"}
    text = document.text
    bounds = paragraph_bounds(text)
    base_url = document.get_absolute_url()
    table = []
    for row in rows:
        quote = text[row.start : row.end].strip()
        cells = []
        for key in shown_keys:
            cell = row.cells[key]
            chips = []
            for mark in cell.marks:
                tag = tags[mark.tag]
                off = mark.span_id in cell.off_bounds
                words = text[mark.start : mark.end].strip()
                chips.append(
                    {
                        "tag": tag,
                        "letter": tag_letter(tag),
                        "ink": ink_on(tag.colour),
                        "off_bounds": off,
                        "describe": f"{labels[key]}: {tag.name}"
                        + (f", other bounds: “{words[:120]}”" if off else ""),
                        "url": f"{base_url}?span={mark.span_id}#span-panel",
                    }
                )
            cells.append({"key": key, "label": labels[key], "chips": chips})
        table.append(
            {
                "passage": row,
                "quote": quote if len(quote) <= QUOTE_LIMIT else quote[: QUOTE_LIMIT - 1] + "…",
                "paragraph": _paragraph_of(bounds, row.start) + 1,
                "cells": cells,
            }
        )
    legend = [
        {"tag": tag, "letter": tag_letter(tag), "ink": ink_on(tag.colour)} for tag in tags.values()
    ]
    filter_query = {
        **({"layers": ",".join(sorted(chosen))} if chosen else {}),
        **({"pseudonyms": 1} if pseudonymous else {}),
    }
    context: dict[str, Any] = {
        "project": project,
        "document": document,
        "role": role,
        "columns": [
            {
                "key": key,
                "label": labels[key],
                # Spans the reader made in the passages listed.
                "spans": sum(len(row["cells"][n]["chips"]) for row in table),
            }
            for n, key in enumerate(shown_keys)
        ],
        "every_layer": [
            {"key": key, "label": labels[key], "shown": key in shown_keys} for key in every_key
        ],
        "rows": table,
        "total": total,
        "agreed": agreed,
        "disagreed": total - agreed,
        "only_disagreements": only,
        "legend": legend,
        "pseudonymous": pseudonymous,
        "can_pseudonymise": allows(role, Action.ADJUDICATE),
        "can_adjudicate": allows(role, Action.ADJUDICATE),
        "blind_note": BLIND_NOTE
        if project.is_class
        and project.visibility == "blind"
        and document.revealed_at is None
        and not allows(role, Action.ADJUDICATE)
        else "",
        "toggle_url": "?"
        + urlencode({**filter_query, **({} if only else {"only": ONLY_DISAGREEMENTS})}),
    }
    return render(request, TEMPLATE, context)
