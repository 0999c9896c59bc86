import datetime

import pytest

from core import monthly_plan
from core.monthly_plan import PlanItem
from core.monthly_plan import PlanSource


@pytest.fixture
def isolated_sources(monkeypatch):
    monkeypatch.setattr(monthly_plan, "_sources", {})


def test_months_without_items_are_marked_missing_per_source(isolated_sources):
    monthly_plan.register_plan_source(
        PlanSource(
            name="activities",
            label="Activities",
            items_for_year=lambda year: {
                3: [
                    PlanItem("Webinar", datetime.date(year, 3, 20)),
                    PlanItem("Nairobi meeting", datetime.date(year, 3, 2)),
                ]
            },
            order=1,
        )
    )
    monthly_plan.register_plan_source(
        PlanSource(
            name="newsletters",
            label="Newsletters",
            items_for_year=lambda year: {3: [PlanItem("March issue", datetime.date(year, 3, 1))]},
            order=2,
        )
    )

    plan = monthly_plan.plan_for_year(2026)

    assert [month.month for month in plan] == [datetime.date(2026, n, 1) for n in range(1, 13)]
    march = plan[2]
    assert march.is_complete
    assert [item.title for item in march.items["activities"]] == ["Nairobi meeting", "Webinar"]
    assert plan[0].missing == ["activities", "newsletters"]
    assert not plan[0].is_complete


def test_registering_a_source_twice_replaces_it(isolated_sources):
    source = PlanSource(name="activities", label="Activities", items_for_year=lambda year: {})
    monthly_plan.register_plan_source(source)
    monthly_plan.register_plan_source(source)
    assert len(monthly_plan.plan_sources()) == 1
