"""What keeps the participant list fast at 100,000 participants (issue 14, item 5): the search, the
paginator and the rows' links. `ParticipantAdmin` (members/admin.py) puts them together."""

import datetime
import html

from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.templatetags.admin_list import results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field
from django.contrib.admin.utils import display_for_value
from django.contrib.admin.utils import lookup_field
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models import BooleanField
from django.db.models import Count
from django.db.models import Func
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Window
from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import smart_split
from django.utils.text import unescape_string_literal

from members.models import ADMIN_SEARCH_TEXT
from members.models import Participant
from members.models import User


class InIds(Func):
    """`expression IN (subquery)`, written for PostgreSQL as `= ANY(ARRAY(subquery))`: the
    subquery's ids are computed once, first, and then fetched through the primary key. Written as
    a plain IN (a semi-join), the planner either hashes them and scans the whole roster to find
    their rows, or (with a LIMIT) walks the list's order index testing each of up to 100,000 rows
    until a page is full: a name searched is found where the name sorts, all of it at once."""

    output_field = BooleanField()

    def __init__(self, expression, subquery: QuerySet):
        super().__init__(expression, Subquery(subquery))

    def as_sql(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def search_words(search_term: str) -> list[str]:
    """The words of a search as the admin splits them: a "quoted phrase" is one word."""
    words = []
    for word in smart_split(search_term):
        if word[:1] in ('"', "'") and word[-1:] == word[:1] and len(word) > 1:
            word = unescape_string_literal(word)
        words.append(word)
    return words


def _matching_ids(word: str) -> QuerySet:
    """The ids of the participants whose roster id, names or roster address, or login address,
    hold `word` in any case: each read from its trigram index (migration 0013)."""
    logins = User.objects.filter(email__icontains=word).order_by().values("pk")
    in_roster = (
        Participant.objects.alias(text=ADMIN_SEARCH_TEXT)
        .filter(text__icontains=word)
        .order_by()
        .values("pk")
    )
    by_login = Participant.objects.filter(InIds("user_id", logins)).order_by().values("pk")
    return in_roster.union(by_login)


def participant_search(queryset: QuerySet, search_term: str) -> QuerySet:
    """Every word must occur, in any case, in the roster id, a name, the roster's address or the
    login address: the same as `search_fields` over those five columns, but read from trigram
    indexes, never a scan of the roster. The words' matches are intersected in one subquery
    whose ids the list then fetches (`InIds`): a word found in a tenth of the logins costs one
    set operation, not a search of its 10,000 ids for each row another word found."""
    words = search_words(search_term)
    if not words:
        return queryset
    found = _matching_ids(words[0])
    for word in words[1:]:
        found = found.intersection(_matching_ids(word))
    return queryset.filter(InIds("pk", found))


class ParticipantChangeList(ChangeList):
    """Each row's link made from one reverse() per page. Django's rows reverse the change URL and
    then, on a searched or filtered list, resolve it again to add the list's filters to it: two
    URL lookups per row. Here the filters are added once, to the page's link pattern, and the
    rows see no filters left to add (`preserved_filters`, which only the rows read)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pattern = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=["PRIMARYKEY"],
            current_app=self.model_admin.admin_site.name,
        )
        self._change_url = add_preserved_filters(
            {"preserved_filters": self.preserved_filters, "opts": self.opts}, pattern
        )
        self.preserved_filters = ""

    def url_for_result(self, result):
        return self._change_url.replace("PRIMARYKEY", quote(str(getattr(result, self.pk_attname))))


class PagePaginator(Paginator):
    """Picks a page's rows by their ids first (read from the order's index, whatever the page),
    then loads those rows alone from `rows` (the list's columns, unfiltered): the per-row columns
    (the exchange count) are computed for the hundred rows shown, not for the 49,900 skipped on
    the way to page 500, and the filters and the search are applied once, to pick the ids.

    Given `counted_page` (a searched list), the count and that page's ids come from one query
    (`COUNT(*) OVER ()`): a search is evaluated once per page, not once to count and again to
    pick the page."""

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        rows,
        counted_page: int | None = None,
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.rows = rows
        self.counted_page = counted_page
        self.counted_ids: list[int] | None = None

    @cached_property
    def count(self) -> int:
        chosen = self.object_list
        if self.counted_page is None or self.counted_page < 1 or chosen.query.distinct:
            return super().count
        bottom = (self.counted_page - 1) * self.per_page
        found = list(
            chosen.annotate(total=Window(Count("pk"))).values_list("pk", "total")[
                bottom : bottom + self.per_page + self.orphans
            ]
        )
        if not found:
            if self.counted_page == 1:
                return 0  # nothing at all was found
            return super().count  # a page past the end: how many there are, as Django counts
        self.counted_ids = [pk for pk, _total in found]
        return found[0][1]

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        chosen = self.object_list
        if self.counted_ids is not None and number == self.counted_page:
            ids = self.counted_ids[: top - bottom]
        else:
            ids = chosen.values("pk")[bottom:top]
        shown = self.rows.filter(pk__in=ids).order_by(*chosen.query.order_by)
        return self._get_page(shown, number, self)


class _Column:
    """One column of the list, with what Django's `items_for_result` decides for every cell
    (its field or callable, classes, empty value, link) decided once per page."""

    def __init__(self, cl, name, index: int, sample, *, is_link: bool, tag: str):
        model_admin = cl.model_admin
        self.name = name
        self.is_link = is_link
        self.tag = tag
        self.empty = model_admin.get_empty_value_display()
        field, attr, _value = lookup_field(name, sample, model_admin)
        self.field = field if field is not None and not field.auto_created else None
        self.attr = attr
        if self.field is None:
            self.empty = getattr(attr, "empty_value_display", self.empty)
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            self.boolean = boolean
            classes = ["action-checkbox"] if name == "action_checkbox" else [_class_of(name, index)]
            if callable(name):
                self.value = name
            elif isinstance(name, str) and hasattr(model_admin, name) and name != "__str__":
                self.value = getattr(model_admin, name)
            else:
                self.value = lambda result: lookup_field(name, result, model_admin)[2]
        else:
            classes = [_class_of(name, index)]
            if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
                classes.append("nowrap")
            self.value = lambda result: getattr(result, name)
        self.classes = classes

    def cell(self, result, url: str | None) -> str:
        classes = self.classes
        try:
            value = self.value(result)
        except ObjectDoesNotExist:
            shown = self.empty
        else:
            if isinstance(value, str) and value.strip() == "":
                value = ""
            field = self.field
            if field is None:
                shown = display_for_value(value, self.empty, self.boolean)
                if isinstance(value, (datetime.date, datetime.time)):
                    classes = [*classes, "nowrap"]
            elif isinstance(field.remote_field, models.ManyToOneRel):
                related = getattr(result, field.name)
                shown = self.empty if related is None else related
            else:
                shown = display_for_field(value, field, self.empty, avoid_link=self.is_link)
        if self.is_link and url is not None:
            shown = format_html('<a href="{}">{}</a>', url, shown)
        # conditional_escape's result, without its lazy-text check on each of the page's cells.
        shown = shown.__html__() if hasattr(shown, "__html__") else html.escape(str(shown))
        return f'<{self.tag} class="{" ".join(classes)}">{shown}</{self.tag}>'


def result_rows(cl) -> list:
    """The list's rows as Django's `results(cl)` draws them, the same HTML, each row one piece:
    Django looks every cell's column up again (a field lookup that fails for each method, an
    empty-value label, the link's filters parsed again) and the template then writes each of
    the page's thousand cells on its own. Lists Django draws differently (editable columns,
    the pop-up chooser) keep Django's way."""
    shown = list(cl.result_list)
    if cl.formset or cl.is_popup or not shown:
        return list(results(cl))
    links = cl.list_display_links
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        is_link = links is not None and ((first and not links) or name in links)
        tag = "th" if is_link and first else "td"
        columns.append(_Column(cl, name, index, shown[0], is_link=is_link, tag=tag))
        first = first and not is_link
    needs_url = any(column.is_link for column in columns)
    rows = []
    for result in shown:
        url = _result_url(cl, result) if needs_url else None
        rows.append(
            ResultList(None, [mark_safe("".join(column.cell(result, url) for column in columns))])
        )
    return rows


def _class_of(name, index: int) -> str:
    """A column's class, as Django names it (a lambda by its place)."""
    if callable(name):
        name = f"lambda{index}" if name.__name__ == "<lambda>" else name.__name__
    return f"field-{name}"


def _result_url(cl, result) -> str | None:
    try:
        url = cl.url_for_result(result)
    except NoReverseMatch:
        return None
    if cl.preserved_filters:
        url = add_preserved_filters(
            {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
        )
    return url
