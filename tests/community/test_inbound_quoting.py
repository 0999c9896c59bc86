"""What is left of a reply by e-mail once the mail program's additions are stripped, as the mail
programs members use write them, in English, French, Spanish and Portuguese."""

import pytest

from community.quoting import html_to_text
from community.quoting import strip_reply

ANSWER = "Yes, the course is free.\n\nSee you in Kampala!"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 7 Dec 2026 at 08:02, Norec Network <network@norec.no> wrote:",
        # Gmail wraps a long attribution over two lines.
        "On Mon, 7 Dec 2026 at 08:02, Norec Network <\nnetwork@norec.no> wrote:",
        "Le lun. 7 déc. 2026 à 08:02, Norec Network <network@norec.no> a écrit :",
        "Le lun. 7 déc. 2026 à 08:02, Norec Network <network@norec.no> a\nécrit :",
        "El lun, 7 dic 2026 a las 8:02, Norec Network (<network@norec.no>) escribió:",
        "El lun, 7 dic 2026 a las 8:02, Norec Network (<network@norec.no>)\nescribió:",
        "Em seg., 7 de dez. de 2026 às 08:02, Norec Network <network@norec.no> escreveu:",
        "A segunda, 7/12/2026, 08:02, Norec Network <network@norec.no> escreveu:",
    ],
)
def test_the_attribution_line_and_the_quote_below_it_go(attribution):
    mail = f"{ANSWER}\n\n{attribution}\n\n> Tendai replied:\n> Is the course free?\n"
    assert strip_reply(mail) == ANSWER


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Message d'origine-----",
        "-----Mensaje original-----",
        "-----Mensagem original-----",
        "---------- Forwarded message ---------",
        "________________________________",
    ],
)
def test_an_original_message_separator_and_what_follows_go(separator):
    mail = f"{ANSWER}\n\n{separator}\nFrom: Norec Network\nSubject: A question\n\nIs it free?"
    assert strip_reply(mail) == ANSWER


@pytest.mark.parametrize(
    "block",
    [
        "From: Norec Network <network@norec.no>\nSent: Monday, December 7, 2026 8:02 AM\nTo: Amina",
        "De : Norec Network <network@norec.no>\nEnvoyé : lundi 7 décembre 2026 08:02\nÀ : Amina",
        "De: Norec Network <network@norec.no>\nEnviado el: lunes, 7 de diciembre de 2026 8:02",
        "De: Norec Network <network@norec.no>\nEnviada em: segunda-feira, 7 de dezembro de 2026",
        "*From:* Norec Network <network@norec.no>\n*Date:* Monday, 7 December 2026",
    ],
)
def test_an_outlook_header_block_and_what_follows_go(block):
    mail = f"{ANSWER}\n\n{block}\nSubject: A question\n\nIs it free?"
    assert strip_reply(mail) == ANSWER


@pytest.mark.parametrize(
    "line",
    [
        "Sent from my iPhone",
        "Sent from my Samsung Galaxy smartphone.",
        "Get Outlook for Android",
        "Envoyé de mon iPhone",
        "Envoyé depuis mon mobile",
        "Enviado desde mi Android",
        "Enviado do meu iPhone",
        "Enviado de meu celular",
    ],
)
def test_sent_from_my_phone_lines_go(line):
    assert strip_reply(f"{ANSWER}\n\n{line}") == ANSWER


def test_a_signature_after_the_separator_goes():
    assert strip_reply(f"{ANSWER}\n\n-- \nAmina Otieno\nKenya Red Cross") == ANSWER
    assert strip_reply(f"{ANSWER}\n--\nAmina") == ANSWER


def test_quoted_lines_between_the_members_own_lines_go():
    mail = "> Is the course free?\nYes, it is.\n> And the travel?\nThat is paid too."
    assert strip_reply(mail) == "Yes, it is.\nThat is paid too."


def test_the_members_own_words_stay_whole():
    text = (
        "Sent the form yesterday, from Kampala.\n"
        "Our office sent from Nairobi a list of 3 people.\n"
        "On the first day we wrote the plan together.\n"
        "From: the ministry's side, nothing yet."
    )
    assert strip_reply(text) == text


def test_nothing_but_a_quote_is_nothing():
    assert strip_reply("\n\nOn Mon, 7 Dec 2026, Norec Network wrote:\n> Hello\n") == ""
    assert strip_reply("Sent from my iPhone") == ""


def test_windows_line_ends_are_read():
    mail = "Yes.\r\n\r\nOn Mon, 7 Dec 2026, Norec wrote:\r\n> Hello\r\n"
    assert strip_reply(mail) == "Yes."


def test_an_html_only_reply_becomes_text_without_the_quote():
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<div>Yes, the course is free.</div><div><br></div><div>See you&nbsp;in Kampala!</div>"
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Norec wrote:</div>'
        "<blockquote>Is the course free?</blockquote></div></body></html>"
    )
    assert strip_reply(html_to_text(html)) == "Yes, the course is free.\n\nSee you in Kampala!"


def test_outlooks_html_reply_header_is_the_quote():
    html = (
        "<p>Merci, c'est noté.</p><hr>"
        '<div id="divRplyFwdMsg"><b>De :</b> Norec Network<br><b>Envoyé :</b> lundi</div>'
        "<div>Is the course free?</div>"
    )
    assert html_to_text(html) == "Merci, c'est noté."


def test_a_blockquote_alone_is_left_out():
    assert html_to_text("<p>Oui.</p><blockquote><p>Question ?</p></blockquote><p>Amina</p>") == (
        "Oui.\n\nAmina"
    )
