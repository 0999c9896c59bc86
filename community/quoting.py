"""What a member wrote in a reply by e-mail, without what their mail program added: the quoted
mail they answer, the attribution line above it, a forwarded or Outlook header block, their
signature and "Sent from my phone" lines. Mail programs write these in the member's language, so
the patterns cover English, French, Spanish and Portuguese.

Everything from the first quoting marker on is dropped (replies are written above the quote, as
nearly every mail program does on a phone); a "> " line written between the member's own lines is
dropped on its own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# "On Mon, 7 Dec 2026 at 10:00, Amina <amina@example.org> wrote:" and the same in fr/es/pt
# ("Le lun. 7 déc. 2026 à 10:00, Amina a écrit :", "El lun, 7 dic 2026 a las 10:00, Amina
# escribió:", "Em seg., 7 de dez. de 2026 às 10:00, Amina escreveu:", Portugal's "A 7/12/2026,
# Amina escreveu:"). Mail programs wrap long ones over two or three lines: they are joined first.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"on\b.{0,300}\bwrote\s*:"
    r"|le\b.{0,300}\ba\s+écrit\s*:"
    r"|el\b.{0,300}\bescribi[óo]\s*:"
    r"|(?:em|a|no\s+dia)\b.{0,300}\bescreveu\s*:"
    r")\s*$",
    re.IGNORECASE,
)
# "-----Original Message-----", "-----Message d'origine-----", "-----Mensaje original-----",
# "-----Mensagem original-----", and the forwarded-message lines of Gmail and Apple Mail.
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|message d['’]origine|mensaje original|"
    r"mensagem original|forwarded message|message transféré|mensaje reenviado|"
    r"mensagem encaminhada)\s*-{2,}"
    r"|_{10,}"
    r"|begin forwarded message\s*:|début du message réexpédié\s*:)\s*$",
    re.IGNORECASE,
)
# An Outlook header block: "From: ..." followed within a few lines by "Sent: ..." (or "Date:");
# in French "De :" / "Envoyé :", in Spanish "De:" / "Enviado el:" / "Fecha:", in Portuguese
# "De:" / "Enviada em:" / "Enviado:" / "Data:".
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|de)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:sent|date|envoyé|enviado(?:\s+el)?|enviada(?:\s+em)?|fecha|data)\s*\*?\s*:",
    re.IGNORECASE,
)
# "-- " (the standard signature separator; mail programs often lose its space).
_SIGNATURE = re.compile(r"^--\s?$")
# "Sent from my iPhone", "Get Outlook for Android", "Envoyé de mon iPhone", "Enviado desde mi
# Android", "Enviado do meu iPhone", "Sent from Yahoo Mail on Android"...
_SENT_FROM = re.compile(
    r"^\s*(?:sent from|sent with|sent via|get outlook for|envoyé de(?:puis)?|"
    r"obtenez outlook pour|enviado desde|enviado con|obtener outlook para|enviado do|"
    r"enviado de|obter o outlook para)\b.{0,50}\b(?:iphone|ipad|android|samsung|galaxy|huawei|"
    r"xiaomi|outlook|yahoo|gmail|mail|mobile|móvil|celular|telemóvel|smartphone|phone|"
    r"téléphone|tablet|tablette)\b.{0,30}$",
    re.IGNORECASE,
)


def _is_attribution(lines: list[str], index: int) -> bool:
    for width in (1, 2, 3):
        joined = " ".join(line.strip() for line in lines[index : index + width])
        if _ATTRIBUTION.match(joined):
            return True
    return False


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    return any(_HEADER_SENT.match(line) for line in lines[index + 1 : index + 4])


def strip_reply(text: str) -> str:
    """The member's own words of a plain-text reply ("" when nothing is left)."""
    lines = re.sub(r"\r\n?", "\n", text or "").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if (
            _SIGNATURE.match(line)
            or _SEPARATOR.match(line)
            or _is_attribution(lines, index)
            or _is_outlook_block(lines, index)
        ):
            break
        if line.lstrip().startswith(">") or _SENT_FROM.match(line):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


# --- HTML-only mails --------------------------------------------------------------------------

_BLOCKS = {
    "address", "article", "aside", "div", "dl", "dt", "dd", "footer", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_SKIPPED = {"head", "script", "style", "title", "blockquote"}
# The quoted mail as Gmail, Outlook, Apple Mail and Thunderbird mark it in HTML.
_QUOTE_MARKERS = ("gmail_quote", "gmail_attr", "moz-cite-prefix", "divrplyfwdmsg", "appendonsend")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open elements whose content is left out
        self.quoted = False  # from the first quote marker on, everything is the quoted mail

    def handle_starttag(self, tag, attrs) -> None:
        if self.quoted:
            return
        marks = " ".join(value or "" for name, value in attrs if name in ("class", "id")).lower()
        if any(marker in marks for marker in _QUOTE_MARKERS):
            self.quoted = True
            return
        if tag in _SKIPPED:
            self.skipping.append(tag)
        elif tag == "br" or tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif tag in _BLOCKS and not self.quoted:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self.skipping and not self.quoted:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The text of an HTML-only mail: block elements become lines, the quoted mail (a
    <blockquote>, Gmail's and Outlook's quote containers) and everything after it is dropped."""
    parser = _TextOfHtml()
    parser.feed(html or "")
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
