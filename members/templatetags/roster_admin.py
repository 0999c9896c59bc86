"""The participant list's rows, drawn by `members.admin_list.result_rows` (issue 14, item 5)."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.admin_list import result_hidden_fields
from django.contrib.admin.templatetags.base import InclusionAdminNode

from members.admin_list import result_rows

register = template.Library()


def roster_result_list(cl) -> dict:
    """Django's `result_list` (headers, hidden fields, rows) with the rows of `result_rows`."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": result_rows(cl),
    }


@register.tag(name="roster_result_list")
def roster_result_list_tag(parser, token):
    # The same template as Django's tag, overridable per app and model in the same way.
    return InclusionAdminNode(
        parser,
        token,
        func=roster_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
