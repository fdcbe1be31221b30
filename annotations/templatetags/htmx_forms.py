"""The attributes of an element that posts through htmx, written once for every form."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def htmx_post(
    view_name: str,
    *url_args: object,
    target: str = "",
    swap: str = "outerHTML",
    trigger: str = "",
    disable: str = "",
    form: bool = True,
) -> SafeString:
    """Write the attributes that post to a view through htmx, every value escaped.

    ``{% htmx_post "annotations:tag-add" project.slug target="#tags" disable="find button" %}``
    gives ``method="post" action="URL" hx-post="URL" hx-target="#tags" hx-swap="outerHTML"
    hx-disabled-elt="find button" hx-sync="this:drop"``.

    The view name and its arguments are those of ``{% url %}``; the plain ``action`` posts
    to the same view, so the form works without JavaScript. ``disable`` names the elements
    htmx disables while the request runs, and with it a second submit sent meanwhile is
    dropped, so a double click acts once. ``trigger`` sets ``hx-trigger``; ``form=False``
    leaves out ``method`` and ``action``, for an element inside another form or outside any
    (a preview button, a request sent on load).
    """
    url = reverse(view_name, args=url_args)
    attributes: list[tuple[str, str]] = []
    if form:
        attributes += [("method", "post"), ("action", url)]
    attributes.append(("hx-post", url))
    if trigger:
        attributes.append(("hx-trigger", trigger))
    if target:
        attributes.append(("hx-target", target))
    attributes.append(("hx-swap", swap))
    if disable:
        attributes += [("hx-disabled-elt", disable), ("hx-sync", "this:drop")]
    return format_html_join(" ", '{}="{}"', attributes)
