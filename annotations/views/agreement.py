"""The agreement page: who agrees with whom, per tag, and the most disputed passages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from annotations import agreement, params
from annotations.charts import heatmap_svg
from annotations.exports.pseudonyms import project_pseudonyms
from annotations.permissions import Action, allows, spans_visible_in
from annotations.rendering import paragraph_bounds
from annotations.views.access import HtmxHttpRequest, project_for

TEMPLATE = "annotations/agreement.html"
#: Not Action.ADJUDICATE's message: this page builds nothing, it compares everyone's spans.
AGREEMENT_FORBIDDEN = "Only the teacher or an editor can see how the readers agree."
MEASURES = {
    "alpha_u": "Krippendorff’s alpha-u",
    "kappa": "Cohen’s kappa (characters)",
    "f1_overlap": "F1, overlapping spans",
    "f1_exact": "F1, exact spans",
}


def project_agreement(
    request: HttpRequest, project, role: str, document_id: int | None = None
) -> dict[str, Any]:
    """Compute every figure of the page for one document or the whole project.

    Readers' spans only (not the reference layer), and only those the viewer may see.
    """
    documents = project.documents.annotate(length=Length("text"))
    if document_id is not None:
        documents = documents.filter(pk=document_id)
    documents = list(documents)
    rows = (
        spans_visible_in(request.user, role, project=project)
        .filter(document__in=[d.pk for d in documents], is_reference=False)
        .order_by()
        .values_list("document_id", "author_id", "tag_id", "start", "end")
    )
    by_document: dict[int, list[agreement.Unit]] = {d.pk: [] for d in documents}
    for document_id_, author, tag, start, end in rows:
        by_document[document_id_].append(agreement.Unit(author, tag, start, end))
    units, length = agreement.concatenate((d.length, by_document[d.pk]) for d in documents)
    annotators = sorted({u.annotator for u in units})
    tags = list(project.tags.all())
    reports = agreement.tag_reports(units, length, annotators, [t.pk for t in tags])
    disputes = []
    for document in documents:
        for d in agreement.disputes(by_document[document.pk], annotators, [t.pk for t in tags]):
            disputes.append((d, document))
    disputes.sort(key=lambda pair: -pair[0].score)
    return {
        "documents": documents,
        "annotators": annotators,
        "tags": tags,
        "reports": reports,
        "disputes": disputes[:12],
    }


def _pair(request, data, users, tag_by_id, pseudonyms) -> dict[str, Any] | None:
    """Return the figures of two chosen readers (?a=&b=), tag by tag, or None."""
    a, b = params.optional_number(request.GET, "a"), params.optional_number(request.GET, "b")
    if a is None or b is None:
        return None
    if a == b or a not in users or b not in users:
        return None
    rows = []
    for report in data["reports"]:
        figures = report.pairs.get((a, b)) or report.pairs.get((b, a))
        rows.append({"tag": tag_by_id[report.tag], "figures": figures})

    def name(uid: int) -> str:
        return pseudonyms.get(uid) or users[uid].get_username()

    return {"a": name(a), "b": name(b), "rows": rows}


def _tag_rows(
    reports: list,
    tag_by_id: dict,
    annotators: list[int],
    labels: list[str],
    measure: str,
    base: dict,
) -> list[dict[str, Any]]:
    """Per tag: its figures, what they mean, and the reader-by-reader heatmap."""

    # Encoded once: a class of thirty has 870 cells per tag; the ids are numbers.
    prefix = f"?{urlencode(base)}&" if base else "?"

    def pair_link(i: int, j: int) -> str:
        return f"{prefix}a={annotators[i]}&b={annotators[j]}#pair"

    tag_rows = []
    for report in reports:
        tag = tag_by_id[report.tag]
        matrix = report.matrix(annotators, measure)
        title = f"{MEASURES[measure]} for {tag.name}, reader by reader"
        tag_rows.append(
            {
                "tag": tag,
                "report": report,
                "reading": agreement.reading(report, tag.name),
                # charts.py escapes every label.
                "svg": SafeString(heatmap_svg(labels, matrix, title, pair_link))
                if len(labels) > 1
                else "",
            }
        )
    return tag_rows


def _disputes(found: list, tag_by_id: dict) -> list[dict[str, Any]]:
    """Each passage the readers disagree on, with a link to its paragraph."""
    disputes = []
    for dispute, document in found:
        text = document.text
        bounds = paragraph_bounds(text)
        para = next((i for i, (_, s, e) in enumerate(bounds) if s <= dispute.start < e), 0)
        disputes.append(
            {
                "dispute": dispute,
                "document": document,
                "tag": tag_by_id[dispute.tag],
                "quote": text[dispute.start : dispute.end].strip(),
                "anchor": f"{document.get_absolute_url()}#para-{para}",
            }
        )
    return disputes


@require_GET
def agreement_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = project_for(request, slug)
    # Agreement shows everyone's spans, so only those who may see them all get it.
    if not allows(role, Action.ADJUDICATE):
        raise PermissionDenied(AGREEMENT_FORBIDDEN)
    document_id = params.optional_number(request.GET, "document")
    measure = request.GET.get("measure", "alpha_u")
    if measure not in MEASURES:
        measure = "alpha_u"
    data = project_agreement(request, project, role, document_id)
    users = get_user_model().objects.in_bulk(data["annotators"])
    # For showing the page to the class: stable pseudonyms instead of usernames.
    pseudonymous = request.GET.get("pseudonyms") == "1"
    pseudonyms = project_pseudonyms(project) if pseudonymous else {}
    labels = [pseudonyms.get(uid) or users[uid].get_username() for uid in data["annotators"]]
    tag_by_id = {t.pk: t for t in data["tags"]}
    annotators = data["annotators"]
    base = {
        "measure": measure,
        **({"document": document_id} if document_id else {}),
        **({"pseudonyms": 1} if pseudonymous else {}),
    }

    tag_rows = _tag_rows(data["reports"], tag_by_id, annotators, labels, measure, base)
    disputes = _disputes(data["disputes"], tag_by_id)
    context = {
        "pair": _pair(request, data, users, tag_by_id, pseudonyms),
        "pseudonymous": pseudonymous,
        "project": project,
        "role": role,
        "documents": data["documents"] if document_id else project.documents.all(),
        "document_id": document_id,
        "measure": measure,
        "measures": MEASURES,
        "measure_label": MEASURES[measure],
        "tag_rows": tag_rows,
        "disputes": disputes,
        "annotator_count": len(labels),
    }
    if request.htmx and request.htmx.target == "agreement-figures":
        return render(request, f"{TEMPLATE}#agreement-figures", context)
    return render(request, TEMPLATE, context)
