from django import template

from activities.languages import language_list
from core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.filter(name="language_list")
def language_list_filter(codes) -> str:
    """Language codes ("es", "en") named in the active language: "Spanish and English". For the
    activities' pages and mails, and for other apps' templates through
    `{% include "activities/_held_in.html" with languages=codes %}`."""
    return language_list(codes or [])
