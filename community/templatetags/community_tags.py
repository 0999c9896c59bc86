"""The community's template filters."""

import functools

import nh3
from django import template
from django.utils.safestring import mark_safe

from core.markdown import ALLOWED_ATTRIBUTES
from core.markdown import ALLOWED_TAGS
from core.markdown import render_markdown

register = template.Library()

# Members' posts show no images from elsewhere (a remote image tells its server who read the
# post); a post's own image is its upload.
POST_TAGS = ALLOWED_TAGS - {"img"}
POST_ATTRIBUTES = {tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag != "img"}
# Posts rendered lately, kept in this process: rendering 30 posts' Markdown was a third of a
# topic page's CPU time. The text itself is the key, so an edited post is simply a new entry.
# 1,000 posts are about 33 topic pages: a megabyte or two for posts of usual length, 30 MB if all
# were of the longest (10,000 characters). The shared cache was no faster: one Redis round trip
# per post costs about what rendering it does.
RENDERED_KEPT = 1000


@functools.lru_cache(maxsize=RENDERED_KEPT)
def _render(text: str, links: bool) -> str:
    return nh3.clean(
        str(render_markdown(text, links=links)),
        tags=POST_TAGS if links else POST_TAGS - {"a"},
        attributes=POST_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@register.filter(name="post_markdown")
def post_markdown(text: str, links: bool = True):
    """A post's text: the portal's safe Markdown, without remote images; `links=False` (a held
    post, a new member's) shows its links as plain text."""
    return mark_safe(_render(text or "", bool(links)))  # cleaned by nh3 in _render
