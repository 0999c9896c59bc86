"""Each mail rendered for a recipient of each language (issue 12: "Mail tests: each mail rendered
for a recipient of each language"): a real translated sentence in the subject and in the body.

The portal's own sentences need the portal's catalogues (locale/), so most of these pass only
once they are compiled; allauth's own mails (password reset, login code) use allauth's catalogues
and pass without them.
Which language each mail is rendered in, whoever triggers it, is checked without any catalogue
in tests/test_mail_language.py."""

import contextlib
import datetime
from datetime import timedelta

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils import translation

from activities import services as activity_services
from invitations import services as invitation_services
from invitations.requests import invitation_request_create
from members import services as member_services
from members.models import Participant
from tests.activities.factories import ActivityFactory
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "es", "pt")


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield mailoutbox

    return capture


def html_of(message) -> str:
    return next(c for c, kind in message.alternatives if kind == "text/html")


def reader(language: str, **fields) -> Participant:
    """A member who reads `language`, while the one who acts reads English."""
    fields.setdefault("email", f"reader.{language}@example.org")
    return MemberFactory(first_name="Aya", preferred_language=language, **fields)


def _plain_spaces(text: str) -> str:
    # French catalogues put a non-breaking space before ":" and inside « »; the sentences
    # expected here are written with plain spaces.
    return text.replace("\xa0", " ").replace("&nbsp;", " ")


def assert_translated(message, *, subject: str, body: str):
    subject, body = _plain_spaces(subject), _plain_spaces(body)
    assert subject in _plain_spaces(message.subject), message.subject
    assert body in _plain_spaces(message.body), message.body
    if message.alternatives:
        # The HTML part escapes what the text part does not ("l'adresse" is "l&#x27;adresse").
        html = html_of(message).replace("&#x27;", "'").replace("&quot;", '"')
        assert body in _plain_spaces(html)


# --- allauth's mails ------------------------------------------------------------------------------

PASSWORD_RESET = {
    "fr": ("E-mail de réinitialisation de mot de passe", "réinitialiser votre mot de passe"),
    "es": ("Correo electrónico para restablecer contraseña", "restablecer su contraseña"),
    "pt": ("Email com pedido de redefinição da palavra-passe", "redefinir a sua palavra-passe"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset(sent, language):
    member = reader(language)
    with sent() as outbox:
        Client().post(reverse("account_reset_password"), {"email": member.email})
    (message,) = outbox
    subject, body = PASSWORD_RESET[language]
    assert subject in message.subject and body in message.body.replace("\n", " ")


LOGIN_CODE = {
    "fr": ("Code de connexion", "Votre code de connexion est indiqué ci-dessous."),
    "es": (
        "Código de inicio de sesión",
        "Su código de inicio de sesión se enumera a continuación.",
    ),
    "pt": ("Código de entrada", "O seu código de entrada está listado abaixo."),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_code(sent, language):
    member = reader(language)
    with sent() as outbox:
        Client().post(reverse("account_request_login_code"), {"email": member.email})
    (message,) = outbox
    subject, body = LOGIN_CODE[language]
    assert subject in message.subject and body in message.body


UNKNOWN_ACCOUNT = {
    "fr": ("Compte inconnu", "Nous n'avons aucun compte à cette adresse."),
    "es": ("Cuenta desconocida", "No tenemos ninguna cuenta con esta dirección."),
    "pt": ("Conta desconhecida", "Não temos nenhuma conta com este endereço."),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_account_in_the_language_of_the_page(sent, language):
    with sent() as outbox:
        Client(headers={"accept-language": language}).post(
            reverse("account_reset_password"), {"email": "nobody@example.org"}
        )
    (message,) = outbox
    subject, body = UNKNOWN_ACCOUNT[language]
    assert subject in message.subject and body in message.body


EMAIL_CONFIRMATION = {
    "fr": (
        "Confirmez votre nouvelle adresse e-mail",
        "Vous avez demandé à utiliser cette adresse, aya.new@example.org, pour votre compte "
        "Norec Network.",
    ),
    "es": (
        "Confirme su nueva dirección de correo electrónico",
        "Usted pidió usar esta dirección, aya.new@example.org, para su cuenta de Norec Network.",
    ),
    "pt": (
        "Confirme o seu novo endereço de e-mail",
        "Pediu para usar este endereço, aya.new@example.org, na sua conta da Norec Network.",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirming_a_new_address(sent, language):
    client = Client()
    client.force_login(reader(language).user)
    with sent() as outbox:
        client.post(reverse("account_email"), {"action_add": "", "email": "aya.new@example.org"})
    (message,) = [m for m in outbox if "aya.new@example.org" in m.to]
    subject, body = EMAIL_CONFIRMATION[language]
    assert_translated(message, subject=subject, body=body)


EMAIL_CHANGED = {
    "fr": (
        "L'adresse e-mail de votre compte a été modifiée",
        "Si vous êtes à l'origine de cette modification, vous n'avez rien d'autre à faire.",
        "2 mars 2026 à 16:30 CAT",
    ),
    "es": (
        "Se cambió la dirección de correo electrónico de su cuenta",
        "Si usted hizo este cambio, no tiene que hacer nada más.",
        "2 de marzo de 2026, 16:30 CAT",
    ),
    "pt": (
        "O endereço de e-mail da sua conta foi alterado",
        "Se fez esta alteração, não há mais nada a fazer.",
        "2 de Março de 2026, 16:30 CAT",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_address_changed_notice_in_the_members_language_and_time_zone(sent, rf, language):
    member = reader(language)
    Participant.objects.filter(pk=member.pk).update(time_zone="Africa/Maputo")
    request = rf.get("/")
    moment = datetime.datetime(2026, 3, 2, 14, 30, tzinfo=datetime.UTC)
    with sent() as outbox, allauth_context.request_context(request):
        get_adapter(request).send_notification_mail(
            "account/email/email_changed",
            member.user,
            {"from_email": "old@example.org", "to_email": member.email, "timestamp": moment},
            email="old@example.org",
        )
    (message,) = outbox
    subject, body, when = EMAIL_CHANGED[language]
    assert_translated(message, subject=subject, body=body)
    assert when in message.body


# --- the contact relay ----------------------------------------------------------------------------

CONTACT = {
    "fr": ("Sam Sender vous a écrit : Projet", "membre de Norec Network, a trouvé votre profil"),
    "es": ("Sam Sender le escribió: Projet", "miembro de Norec Network, encontró su perfil"),
    "pt": ("Sam Sender escreveu-lhe: Projet", "membro da Norec Network, encontrou o seu perfil"),
}
CONTACT_REPLY = {
    "fr": ("Aya Reader a répondu : Projet", "a répondu au message que vous avez envoyé via"),
    "es": ("Aya Reader respondió: Projet", "respondió al mensaje que usted envió a través de"),
    "pt": ("Aya Reader respondeu: Projet", "respondeu à mensagem que enviou através da"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_contact_message_and_its_reply(sent, language):
    sender = MemberFactory(first_name="Sam", last_name="Sender", preferred_language="en")
    recipient = reader(language, last_name="Reader")
    with sent() as outbox:
        message = member_services.contact_message_send(
            sender=sender, recipient=recipient, subject="Projet", body="Bonjour"
        )
    (relayed,) = outbox
    assert_translated(relayed, subject=CONTACT[language][0], body=CONTACT[language][1])

    # And the other way: the reader answers an English-speaking member who reads `language`.
    sender.preferred_language = language
    sender.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    with sent() as outbox:
        member_services.contact_message_reply(message=message, body="Yes")
    (reply,) = outbox
    assert_translated(reply, subject=CONTACT_REPLY[language][0], body=CONTACT_REPLY[language][1])


# --- the request receipt --------------------------------------------------------------------------

REQUEST_RECEIVED = {
    "fr": (
        "[Norec Network] Nous avons bien reçu votre demande",
        "Merci d'avoir écrit à Norec Network. Nous avons bien reçu votre demande d'invitation.",
    ),
    "es": (
        "[Norec Network] Recibimos su solicitud",
        "Gracias por escribir a Norec Network. Recibimos su solicitud de invitación.",
    ),
    "pt": (
        "[Norec Network] Recebemos o seu pedido",
        "Obrigado por escrever à Norec Network. Recebemos o seu pedido de convite.",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_request_receipt(sent, language):
    with sent() as outbox:
        invitation_request_create(
            first_name="Rosa",
            last_name="Quispe",
            email="rosa@example.org",
            home_country="BO",
            exchange_year=2015,
            partner_organisation="",
            message="",
            language=language,
        )
    (message,) = outbox
    assert_translated(
        message, subject=REQUEST_RECEIVED[language][0], body=REQUEST_RECEIVED[language][1]
    )


# --- activities -----------------------------------------------------------------------------------

ACTIVITY_MAILS = {
    "confirmed": {
        "fr": (
            "Inscription confirmée : Webinaire",
            "Votre inscription à cette activité est confirmée :",
        ),
        "es": (
            "Inscripción confirmada: Webinaire",
            "Su inscripción en esta actividad está confirmada:",
        ),
        "pt": (
            "Inscrição confirmada: Webinaire",
            "A sua inscrição nesta atividade está confirmada:",
        ),
    },
    "waitlisted": {
        "fr": (
            "Vous êtes sur liste d'attente : Webinaire",
            "Vous êtes n° 1 sur la liste d'attente.",
        ),
        "es": (
            "Está en la lista de espera: Webinaire",
            "Usted es el número 1 de la lista de espera.",
        ),
        "pt": ("Está na lista de espera: Webinaire", "Tem o número 1 na lista de espera."),
    },
    "promoted": {
        "fr": (
            "Une place s'est libérée pour vous : Webinaire",
            "Bonne nouvelle : une place s'est libérée",
        ),
        "es": ("Se liberó un lugar para usted: Webinaire", "Buenas noticias: se liberó un lugar"),
        "pt": ("Vagou um lugar para si: Webinaire", "Boas notícias: vagou um lugar"),
    },
    "registration_cancelled": {
        "fr": (
            "Votre inscription est annulée : Webinaire",
            "votre inscription à cette activité est annulée",
        ),
        "es": (
            "Su inscripción quedó cancelada: Webinaire",
            "Su inscripción en esta actividad quedó cancelada",
        ),
        "pt": (
            "A sua inscrição foi cancelada: Webinaire",
            "A sua inscrição nesta atividade foi cancelada",
        ),
    },
    "reminder": {
        "fr": ("Rappel : Webinaire commence bientôt", "Petit rappel : votre activité commence"),
        "es": ("Recordatorio: Webinaire comienza pronto", "Un recordatorio: su actividad comienza"),
        "pt": ("Lembrete: Webinaire começa em breve", "Um lembrete: a sua atividade começa"),
    },
    "cancelled": {
        "fr": ("Annulation : Webinaire", "Nous sommes désolés : cette activité est annulée."),
        "es": ("Cancelada: Webinaire", "Lo sentimos: esta actividad se canceló."),
        "pt": ("Cancelada: Webinaire", "Lamentamos: esta atividade foi cancelada."),
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_activity_mails(django_capture_on_commit_callbacks, language):
    """Each activity mail to a member reading `language`, made by the services while staff and
    the other member act in English."""
    got = {}
    start = timezone.now() + datetime.timedelta(hours=3)
    activity = ActivityFactory(
        title="Webinaire", capacity=1, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    member, other = reader(language), MemberFactory(preferred_language="en")

    def last_to_member():
        return [m for m in mail.outbox if member.email in m.to][-1]

    with translation.override("en"):
        with django_capture_on_commit_callbacks(execute=True):
            seat = activity_services.activity_register(activity=activity, participant=other)
        with django_capture_on_commit_callbacks(execute=True):
            waiting = activity_services.activity_register(activity=activity, participant=member)
        got["waitlisted"] = last_to_member()
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.registration_cancel(registration=seat)
        got["promoted"] = last_to_member()
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.registrations_send_reminders()
        got["reminder"] = last_to_member()
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.registration_cancel(registration=waiting)
        got["registration_cancelled"] = last_to_member()
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.activity_register(activity=activity, participant=member)
        got["confirmed"] = last_to_member()
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.activity_cancel(activity=activity, note="")
        got["cancelled"] = last_to_member()

    for name, expected in ACTIVITY_MAILS.items():
        subject, body = expected[language]
        assert_translated(got[name], subject=subject, body=body)


ONLINE = {"fr": "En ligne", "es": "En línea", "pt": "Online"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_calendar_file_speaks_the_members_language(sent, language):
    activity = ActivityFactory(title="Webinaire", online_url="")
    with sent() as outbox, translation.override("en"):
        activity_services.activity_register(activity=activity, participant=reader(language))
    (message,) = outbox
    (ics,) = [content for _name, content, kind in message.attachments if kind == "text/calendar"]
    assert f"LOCATION:{ONLINE[language]}" in (ics.decode() if isinstance(ics, bytes) else ics)


# --- invitations ----------------------------------------------------------------------------------

INVITATION = {
    "fr": (
        "Aya, nous vous invitons à rejoindre Norec Network",
        "Nous vous invitons à rejoindre Norec Network : le réseau des personnes qui ont participé "
        "aux échanges de Norec.",
        "Aya, votre invitation à rejoindre Norec Network vous attend",
    ),
    "es": (
        "Aya, tiene una invitación a Norec Network",
        "Le invitamos a unirse a Norec Network: la red de las personas que participaron en los "
        "intercambios de Norec.",
        "Aya, su invitación a Norec Network sigue pendiente",
    ),
    "pt": (
        "Aya, tem um convite para a Norec Network",
        "Temos o prazer de lhe enviar este convite para aderir à Norec Network",
        "Aya, o seu convite para a Norec Network está à sua espera",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invitation_and_its_reminder(settings, language):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    ParticipantFactory(first_name="Aya", home_country="CI", preferred_language=language)
    wave = make_wave(home_countries=["CI"], reminder_days=10)
    with translation.override("en"):
        launch(wave, actor=StaffUserFactory())
        send_all(campaign_id=wave.pk)
        invitation_services.invitation_remind_due(
            now=timezone.now() + timedelta(days=10, minutes=1)
        )
        send_all(stream="invitation_reminder", campaign_id=wave.pk)
    invitation, reminder = mail.outbox
    subject, body, reminder_subject = INVITATION[language]
    assert subject == invitation.subject
    assert body in " ".join(invitation.body.split())
    assert reminder.subject == reminder_subject


# --- pages: the switcher's message and the profile's label ---------------------------------------

SWITCHED = {
    "fr": "Votre langue est enregistrée. Le portail et les e-mails que Norec vous envoie sont "
    "désormais dans cette langue.",
    "es": "Su idioma quedó guardado. El portal y los correos que Norec le envía ahora están en "
    "este idioma.",
    "pt": "O seu idioma foi guardado. O portal e os e-mails que a Norec lhe envia passam a estar "
    "neste idioma.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_switchers_message_is_in_the_language_just_chosen(client, language):
    client.force_login(MemberFactory(preferred_language="en").user)
    response = client.post(
        reverse("members:language"), {"language": language, "next": "/activities/"}, follow=True
    )
    assert SWITCHED[language] in response.content.decode()


LABEL = {
    "fr": "Langue du portail et des e-mails que Norec vous envoie",
    "es": "Idioma del portal y de los correos que Norec le envía",
    "pt": "Idioma do portal e dos e-mails que a Norec lhe envia",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_profiles_language_label(client, language):
    client.force_login(MemberFactory(preferred_language=language).user)
    assert LABEL[language] in client.get(reverse("members:profile_edit")).content.decode()
