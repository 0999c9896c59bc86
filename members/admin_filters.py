"""Sidebar filters for the roster changelist.

Filters over exchanges use `pk__in` subqueries rather than joins, so that a person with two
exchanges is listed once and the exchange count annotated on the changelist stays right.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.countries import countries_by_name
from members.extensions import audit_kinds
from members.extensions import ever_invited_condition
from members.models import Exchange
from members.models import Participant
from members.models import bad_address_q

# Norec (then Fredskorpset) sent its first participants in 1963.
FIRST_EXCHANGE_DECADE = 1960
LAST_EXCHANGE_DECADE = 2020
NO_COUNTRY = "none"


def _country_lookups(codes) -> list[tuple[str, str]]:
    """The countries that occur, by name, plus "no country" when some rows have none."""
    codes = set(codes)
    lookups = countries_by_name(codes)
    if "" in codes:
        lookups.append((NO_COUNTRY, _("(no country)")))
    return lookups


def _distinct_values(model, field_name: str) -> list[str]:
    """The values an indexed column holds, by a loose index scan: one index probe per value (26
    countries, three programmes) instead of reading every row of a 100,000-row roster, which
    `SELECT DISTINCT` does."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column = quote(model._meta.get_field(field_name).column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found(value) AS ("  # table and column names, never input
            f"SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.value) "
            f"FROM found WHERE found.value IS NOT NULL"
            f") SELECT value FROM found WHERE value IS NOT NULL"
        )
        return [value for (value,) in cursor.fetchall()]


class HomeCountryFilter(admin.SimpleListFilter):
    title = _("home country")
    parameter_name = "home_country"

    def lookups(self, request, model_admin):
        return _country_lookups(_distinct_values(Participant, "home_country"))

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(home_country="" if value == NO_COUNTRY else value.upper())


class HostCountryFilter(admin.SimpleListFilter):
    title = _("host country (any exchange)")
    parameter_name = "host_country"

    def lookups(self, request, model_admin):
        return _country_lookups(_distinct_values(Exchange, "host_country"))

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        host = "" if value == NO_COUNTRY else value.upper()
        return queryset.filter(
            pk__in=Exchange.objects.filter(host_country=host).values("participant_id")
        )


class ProgrammeFilter(admin.SimpleListFilter):
    title = _("programme (any exchange)")
    parameter_name = "programme"

    def lookups(self, request, model_admin):
        programmes = _distinct_values(Exchange, "programme")  # in the column's order
        return [(programme, programme) for programme in programmes if programme]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(
            pk__in=Exchange.objects.filter(programme=value).values("participant_id")
        )


class ExchangeYearFilter(admin.SimpleListFilter):
    """By decade (`1980s`) or exact year (`1987`); choosing either lists that decade's years."""

    title = _("exchange year")
    parameter_name = "exchange_year"

    @staticmethod
    def _parse(value: str) -> tuple[int, int]:
        """The inclusive range of years a value stands for; raises ValueError when it is neither."""
        if value.endswith("s"):
            decade = int(value[:-1])
            if decade % 10:
                raise ValueError(value)
            return decade, decade + 9
        year = int(value)
        return year, year

    def lookups(self, request, model_admin):
        choices = [
            (f"{decade}s", _("%(decade)ss") % {"decade": decade})
            for decade in range(FIRST_EXCHANGE_DECADE, LAST_EXCHANGE_DECADE + 1, 10)
        ]
        value = self.value()
        try:
            first, _last = self._parse(value) if value else (None, None)
        except ValueError:
            first = None
        if first is not None:
            decade = first - first % 10
            position = next(
                (i for i, (key, _label) in enumerate(choices) if key == f"{decade}s"), None
            )
            years = [(str(year), f"\u2003{year}") for year in range(decade, decade + 10)]
            if position is not None:
                choices[position + 1 : position + 1] = years
        return choices

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        try:
            first, last = self._parse(value)
        except ValueError as error:
            raise IncorrectLookupParameters(f"Not a year or decade: {value!r}") from error
        return queryset.filter(
            pk__in=Exchange.objects.filter(year__gte=first, year__lte=last).values("participant_id")
        )


class RegisteredFilter(admin.SimpleListFilter):
    title = _("registered")
    parameter_name = "registered"

    def lookups(self, request, model_admin):
        return [("yes", _("Registered")), ("no", _("Not registered"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(user__isnull=False)
        if self.value() == "no":
            return queryset.filter(user__isnull=True)
        return queryset


class EmailStatusFilter(admin.SimpleListFilter):
    """Each status, plus "bad" (bounced or complained): the addresses the adviser must fix."""

    title = _("email status")
    parameter_name = "email_status"
    BAD = "bad"

    def lookups(self, request, model_admin):
        return [
            (self.BAD, _("Bad address (bounced or complained)")),
            *Participant.EmailStatus.choices,
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value == self.BAD:
            return queryset.filter(bad_address_q())
        if value not in Participant.EmailStatus.values:
            raise IncorrectLookupParameters(f"Not an email status: {value!r}")
        return queryset.filter(email_status=value)


class InvitedFilter(admin.SimpleListFilter):
    """Never invited / invited, as the invitations app counts it (hidden without that app)."""

    title = _("invitations")
    parameter_name = "invited"
    NEVER = "never"
    YES = "yes"

    def lookups(self, request, model_admin):
        if ever_invited_condition() is None:
            return []
        return [(self.NEVER, _("Never invited")), (self.YES, _("Invited at least once"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        condition = ever_invited_condition()
        if value is None or condition is None:
            return queryset
        if value == self.NEVER:
            return queryset.filter(~condition)
        if value == self.YES:
            return queryset.filter(condition)
        raise IncorrectLookupParameters(f"Not an invitation filter: {value!r}")


class AccountDeletedFilter(admin.SimpleListFilter):
    """Members who deleted their account: staff see that it happened, not what was erased."""

    title = _("account deleted")
    parameter_name = "account_deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Account deleted")), ("no", _("Not deleted"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ResidenceCountryFilter(admin.SimpleListFilter):
    """Only the countries where the listed people live (not all 250)."""

    title = _("country of residence")
    parameter_name = "residence_country"

    def lookups(self, request, model_admin):
        return _country_lookups(
            model_admin.get_queryset(request)
            .order_by()
            .values_list("residence_country", flat=True)
            .distinct()
        )

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(residence_country="" if value == NO_COUNTRY else value.upper())


class AuditKindFilter(admin.SimpleListFilter):
    """The staff log by kind of action, as the apps registered them."""

    title = _("action")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return audit_kinds()

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        return queryset.filter(kind=self.value())
