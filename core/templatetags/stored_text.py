"""`{{ wave.paused_reason|shown_text }}`: a sentence the portal stored, in the reader's language
(core.stored_text); text a person typed, as typed."""

from django import template

from core.stored_text import shown

register = template.Library()


@register.filter
def shown_text(text: str) -> str:
    return shown(text)
