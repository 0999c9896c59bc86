"""The monthly plan: for each month of a year, what is planned (activities, newsletters).

Norec's goal is at least one activity and one newsletter every month. Neither app owns "the plan":
the activities admin shows it, the admin dashboard shows it, and newsletters contribute to it. So
each app registers a `PlanSource` from its `AppConfig.ready()`, and `plan_for_year` asks them all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from django.utils.functional import Promise

StrOrPromise = str | Promise


@dataclass(frozen=True)
class PlanItem:
    """One planned thing in a month: what it is called, when, and where staff open it."""

    title: str
    date: datetime.date
    url: str = ""
    note: str = ""
    public_url: str = ""  # the member-facing page (newsletters link to it), if there is one
    languages: tuple[str, ...] = ()  # language codes an activity is held in, if the source knows


@dataclass(frozen=True)
class PlanSource:
    """`items_for_year(year)` returns {month number: [PlanItem, ...]} with only the months that have
    items. Lower `order` comes first on the page."""

    name: str
    label: StrOrPromise  # a lazy translation (gettext_lazy): shown in each reader's language
    items_for_year: Callable[[int], dict[int, list[PlanItem]]]
    order: int = 100


@dataclass
class MonthPlan:
    month: datetime.date  # the first day of the month
    items: dict[str, list[PlanItem]] = field(default_factory=dict)  # source name -> items
    missing: list[str] = field(default_factory=list)  # names of sources with nothing this month

    @property
    def is_complete(self) -> bool:
        return not self.missing


_sources: dict[str, PlanSource] = {}


def register_plan_source(source: PlanSource) -> None:
    # Keyed by name so that a second `ready()` (tests, autoreload) replaces rather than repeats.
    _sources[source.name] = source


def plan_sources() -> list[PlanSource]:
    return sorted(_sources.values(), key=lambda source: (source.order, source.name))


def plan_for_year(year: int) -> list[MonthPlan]:
    """Twelve `MonthPlan`s, January first; one call per registered source."""
    sources = plan_sources()
    by_source = {source.name: source.items_for_year(year) for source in sources}
    months = []
    for number in range(1, 13):
        plan = MonthPlan(month=datetime.date(year, number, 1))
        for source in sources:
            items = sorted(by_source[source.name].get(number, []), key=lambda item: item.date)
            plan.items[source.name] = items
            if not items:
                plan.missing.append(source.name)
        months.append(plan)
    return months
