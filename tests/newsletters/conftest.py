import pytest

from core import monthly_plan


@pytest.fixture
def activities_in_plan(monkeypatch):
    """Stands in for the activities app's plan source (this app never imports activities)."""
    import datetime

    from core.monthly_plan import PlanItem
    from core.monthly_plan import PlanSource

    sources = dict(monthly_plan._sources)
    monkeypatch.setattr(monthly_plan, "_sources", sources)

    def items_for_year(year):
        if year != 2026:
            return {}
        return {
            12: [
                PlanItem(
                    title="Webinar: climate & health",
                    date=datetime.date(2026, 12, 9),
                    url="/admin/activities/activity/1/change/",
                    public_url="https://network.example/activities/1/",
                ),
                PlanItem(
                    title="Nairobi meeting", date=datetime.date(2026, 12, 2), languages=("fr", "en")
                ),
            ]
        }

    monthly_plan.register_plan_source(
        PlanSource(name="activities", label="Activities", items_for_year=items_for_year, order=10)
    )


@pytest.fixture
def activity_staff():
    """Activity staff: only the newsletter permissions, no superuser."""
    from django.contrib.auth.models import Permission

    from tests.members.factories import StaffUserFactory

    user = StaffUserFactory(email="activities@example.org")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="newsletters",
            codename__in=["view_newsletter", "add_newsletter", "change_newsletter"],
        )
    )
    return user
