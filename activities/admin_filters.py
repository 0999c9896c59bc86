"""The filters of the activity list in the back office (activities/admin.py)."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.utils import formats
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.languages import held_in
from activities.languages import language_choices


class MonthFilter(admin.SimpleListFilter):
    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        first = timezone.localdate().replace(day=1)
        months = []
        for offset in range(-6, 13):
            year, month = divmod(first.month - 1 + offset, 12)
            day = datetime.date(first.year + year, month + 1, 1)
            # The month's name in the staff member's language.
            months.append((f"{day:%Y-%m}", formats.date_format(day, "F Y")))
        return months

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            year, month = (int(part) for part in self.value().split("-"))
        except ValueError:
            return queryset
        return queryset.filter(starts_at__year=year, starts_at__month=month)


class OnlineFilter(admin.SimpleListFilter):
    title = _("online or in person")
    parameter_name = "mode"

    def lookups(self, request, model_admin):
        return [("online", _("online")), ("physical", _("in person"))]

    def queryset(self, request, queryset):
        if self.value() == "online":
            return queryset.filter(place="", city="")
        if self.value() == "physical":
            return queryset.exclude(place="", city="")
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """Activities held in a language (among others, if they have several)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return language_choices()

    def queryset(self, request, queryset):
        if self.value() in dict(language_choices()):
            return queryset.filter(held_in(self.value()))
        return queryset
