import factory
from django.contrib.auth import get_user_model

from members.models import Exchange
from members.models import ExpertiseField
from members.models import Participant

DEFAULT_PASSWORD = "a-long-test-password-1963"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Give the user a verified primary address, as allauth would after signup."""
        if not create or extracted is False:
            return
        from allauth.account.models import EmailAddress

        obj.save()
        EmailAddress.objects.update_or_create(
            user=obj, email=obj.email, defaults={"verified": True, "primary": True}
        )


# Every staff account has an authenticator app (the admin refuses staff without one); tests that
# log in through the browser compute codes from this secret with `totp_code()`.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user, secret: str = STAFF_TOTP_SECRET):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


def totp_code(secret: str = STAFF_TOTP_SECRET) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value
    from allauth.mfa.totp.internal.auth import hotp_value
    from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


class StaffUserFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """Staff have TOTP set up unless a test says `mfa=False`."""
        if create and extracted is not False:
            obj.save()
            give_totp(obj)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    participant_id = factory.Sequence(lambda n: f"P{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(
        lambda p: f"{p.first_name}.{p.last_name}.{p.participant_id}@example.org".lower()
    )
    home_country = "KE"


class MemberFactory(ParticipantFactory):
    """A registered member, made as an accepted invitation makes one: a roster participant whose
    account members' service creates (verified address, linked, address status ok). A bad
    `email_status` is then reported as the ESP would report it."""

    # A member's address is the one they were invited at (the roster's) until they change it.
    email_source = Participant.EmailSource.ROSTER
    email_status = Participant.EmailStatus.OK

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from members import services

        status = kwargs.pop("email_status")
        participant = super()._create(model_class, *args, **kwargs)
        services.participant_create_account(
            participant=participant, email=participant.email, password=DEFAULT_PASSWORD
        )
        if status != Participant.EmailStatus.OK:
            services.participant_mark_email_status(participant=participant, status=status)
        participant.refresh_from_db()
        return participant


class ExchangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exchange

    participant = factory.SubFactory(ParticipantFactory)
    year = 2015
    host_country = "NO"
    partner_organisation = "Norwegian Red Cross"
    programme = "Norec Health"


class ExpertiseFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertiseField
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Field {n}")


def seed_vocabularies():
    """The languages and fields of expertise production has, as migration 0002 seeds them (a
    transactional test's flush empties those tables for the tests after it). Returns the fields
    of expertise by name."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("members.migrations.0002_seed_languages_and_expertise")
    migration.add_vocabularies(apps, SimpleNamespace(connection=connection))
    return {field.name: field for field in ExpertiseField.objects.all()}
