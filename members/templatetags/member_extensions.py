"""Template access to the hooks other apps register in `members.extensions`."""

from django import template
from django.utils.html import format_html_join

from members.extensions import participant_admin_links as registered_links

register = template.Library()


@register.simple_tag
def participant_admin_links(participant):
    """The other apps' buttons for a participant's admin page (e.g. "Invite now")."""
    if participant is None:
        return ""
    rendered = [link.render(participant) for link in registered_links()]
    return format_html_join("", "<li>{}</li>", ((html,) for html in rendered if html))
