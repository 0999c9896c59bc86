"""Markdown for text staff write (activity descriptions, newsletters), made safe to show.

Staff are trusted but their text is pasted from anywhere, so the HTML that Markdown produces is
cleaned by nh3 with an allow-list: no scripts, no event handlers, no `javascript:` links.
"""

from __future__ import annotations

import threading

import markdown as _markdown
import nh3
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}


_converters = threading.local()


def _converter() -> _markdown.Markdown:
    """This thread's Markdown converter. Building one (its extensions and their processors) cost
    more than converting a post, 30 times on a topic's page; a converter keeps state while it
    converts, hence one per thread, reset before each text."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
        _converters.markdown = converter
    return converter.reset()


def render_markdown(text: str, *, links: bool = True) -> SafeString:
    """`links=False` shows every link as its plain text (a new member's post, until approved)."""
    html = _converter().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS if links else ALLOWED_TAGS - {"a"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # cleaned by nh3 just above
