from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self):
        # Plugs the activity mails into both mail paths: the builder of the one-off mails and
        # the broadcast stream of the bulk sender.
        from activities import sending

        sending.register()

        from activities import selectors
        from activities import services
        from activities.demo import seed_activities
        from core.monthly_plan import PlanSource
        from core.monthly_plan import register_plan_source
        from members.extensions import DemoSeeder
        from members.extensions import HomeSection
        from members.extensions import PersonalDataSource
        from members.extensions import register_demo_seeder
        from members.extensions import register_home_section
        from members.extensions import register_personal_data_source

        register_plan_source(
            PlanSource(
                name="activities",
                label=_("Activities"),
                items_for_year=selectors.plan_items_for_year,
                order=10,
            )
        )
        register_home_section(
            HomeSection(
                name="activities",
                template_name="activities/_home_section.html",
                context=home_section_context,
                order=10,
            )
        )
        register_personal_data_source(
            PersonalDataSource(
                name="activity_registrations",
                export=services.registrations_export,
                erase=services.registrations_erase,
            )
        )
        register_demo_seeder(DemoSeeder(name="activities", seed=seed_activities, order=10))

        from members.extensions import register_audit_kind

        register_audit_kind(
            services.AUDIT_ACTIVITY_MESSAGE, _("message to an activity's participants")
        )


def home_section_context(request, participant):
    """The member's next activities on their home page (always shown: it links to the list)."""
    from activities.selectors import registration_list_for_member
    from activities.timefmt import when
    from activities.timefmt import zone_for

    registrations = list(registration_list_for_member(participant=participant, upcoming=True)[:5])
    zone = zone_for(participant)
    return {
        "upcoming_registrations": [
            (
                registration,
                when(registration.activity, zone_for(participant, registration.activity)),
            )
            for registration in registrations
        ],
        "zone": zone,
    }
