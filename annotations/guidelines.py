"""Project guidelines: Markdown written by owners, shown beside the text."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

# "js-default" leaves raw HTML out (it is shown as text) and refuses
# javascript: links; nh3 then keeps only an allow-list of tags, in case a
# future markdown-it release changes its defaults.
_markdown = MarkdownIt("js-default")


def guidelines_html(markdown: str) -> SafeString:
    """Return sanitised HTML for guidelines written in Markdown."""
    if not markdown.strip():
        return SafeString("")
    rendered = _markdown.render(markdown)
    return SafeString(nh3.clean(rendered, link_rel="noopener noreferrer nofollow"))
