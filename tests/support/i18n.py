"""`assert_no_portal_english(page_or_text, language)`: a page shown in French, Spanish or
Portuguese holds no English sentence or label of the portal's own.

"The portal's own" English is what the project's catalogue knows: every msgid of
locale/<language>/LC_MESSAGES/django.po whose translation is not the msgid itself (an untranslated
or fuzzy message counts: the page would show its English). Only real sentences and labels are
looked for: at least two words, or one word of five letters or more ("Save", "Email" or "Total"
would find too much). Placeholders and markup split a msgid into fragments ("This number is too
short for %(country)s" looks for "This number is too short for"); fragments are looked for when
they have two words or more.

A candidate is dropped when the language itself uses it: when it appears in one of the
catalogue's own translations ("Message", "Description" or "Organisation" are French words too).
Matching is by whole words and ignores runs of white space; a phrase of several words matches in
any case (CSS capitals hide nothing), a single word as the msgid writes it or in capitals, since
its capital is what tells the button "Change" from the French "rien ne change". Web and e-mail
addresses are left out of the text.

On a Playwright page the text looked at is what a member meets: the <title>, the body's visible
text (`inner_text`), what folded <details> hold, placeholders, the labels of input buttons,
`aria-label`s and `alt` texts. Anything inside an element that declares another language
(`<span lang="en">English</span>` in a language list) is left out: the page says it is not its
language, so screen readers read it right.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings

# %(name)s, %s, %d, %%, {{ name }}, {% tag %}, {name}, and HTML tags.
_SPLIT = re.compile(
    r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-z]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%"
    r"|\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z_][A-Za-z0-9_]*\}|<[^>]*>"
)
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_EDGES = " \t\r\n.,;:!?()[]·–—-\"'“”‘’…"


def catalogue_path(language: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"


def _normalise(text: str) -> str:
    """One space between words, lines kept (a phrase never runs from one block into another)."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _phrase_pattern(phrase: str) -> re.Pattern:
    """Whole words (no letter or digit right before or after), any white space between them.
    A phrase of several words in any case; a single word as the msgid writes it (or in capitals),
    since a label's capital is what tells "Change" (a button) from "rien ne change"."""
    words = phrase.split()
    if len(words) > 1:
        body, flags = " ".join(map(re.escape, words)), re.IGNORECASE
    else:
        body, flags = f"(?:{re.escape(phrase)}|{re.escape(phrase.upper())})", 0
    return re.compile(r"(?<![\w])" + body + r"(?![\w])", flags)


def _is_candidate(fragment: str, *, whole: bool) -> bool:
    words = _WORD.findall(fragment)
    if len(words) >= 2:
        return True
    return whole and len(words) == 1 and len(words[0]) >= 5 and fragment == words[0]


@dataclass(frozen=True)
class Candidate:
    phrase: str  # what is looked for (a msgid, or a fragment of one)
    msgid: str  # the message it comes from, for the report
    pattern: re.Pattern


def message_phrases(msgid: str) -> list[str]:
    pieces = _SPLIT.split(msgid)
    if len(pieces) == 1:
        text = msgid.strip(_EDGES)
        return [text] if _is_candidate(text, whole=True) else []
    return [
        piece.strip(_EDGES)
        for piece in pieces
        if _is_candidate(piece.strip(_EDGES), whole=False) and piece.strip(_EDGES)
    ]


def _english_and_translation(entry: polib.POEntry) -> list[tuple[str, list[str]]]:
    """(English text, its translations) for each form of a message."""
    if entry.msgid_plural:
        forms = [value for _, value in sorted(entry.msgstr_plural.items())]
        return [(entry.msgid, forms[:1]), (entry.msgid_plural, forms[1:] or forms[:1])]
    return [(entry.msgid, [entry.msgstr])]


@functools.cache
def portal_english(language: str) -> tuple[Candidate, ...]:
    """Every English phrase of the catalogue a page in `language` must not show."""
    catalogue = polib.pofile(str(catalogue_path(language)))
    entries = [entry for entry in catalogue if not entry.obsolete]
    # The language's own text: a phrase it uses is no sign of English.
    own = "\n".join(
        _normalise(_SPLIT.sub("\n", text.replace("\n", " ")))
        for entry in entries
        for text in ([entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values())
        if not entry.fuzzy
    )
    found: dict[str, Candidate] = {}
    for entry in entries:
        for english, translations in _english_and_translation(entry):
            if not entry.fuzzy and english in translations:
                continue  # the language writes it the same way ("Total", "Norec Network")
            for phrase in message_phrases(english):
                key = " ".join(phrase.split())
                if key in found:
                    continue
                pattern = _phrase_pattern(key)
                if pattern.search(own):
                    continue
                found[key] = Candidate(phrase=phrase, msgid=english, pattern=pattern)
    return tuple(found.values())


# What a member meets on a page, other languages declared with lang="..." left out.
_PAGE_TEXT_JS = """
(language) => {
  const foreign = (element) => {
    const owner = element.closest('[lang]');
    if (!owner || owner === document.documentElement) return false;
    const lang = owner.getAttribute('lang').toLowerCase();
    return !(lang === language || lang.startsWith(language + '-'));
  };
  // Visible text without the parts in another language: those are hidden for the reading.
  const hidden = [...document.body.querySelectorAll('[lang]')].filter(
    (element) => foreign(element) && !foreign(element.parentElement)
  );
  // (An <option> is read whatever its display, so its text steps out for the moment instead.)
  const saved = hidden.map((element) =>
    element.tagName === 'OPTION' ? element.text : element.style.getPropertyValue('display')
  );
  hidden.forEach((element) => {
    if (element.tagName === 'OPTION') element.text = '';
    else element.style.setProperty('display', 'none', 'important');
  });
  const parts = [document.title, document.body.innerText];
  hidden.forEach((element, index) => {
    if (element.tagName === 'OPTION') element.text = saved[index];
    else element.style.setProperty('display', saved[index]);
  });
  const add = (selector, read) => {
    for (const element of document.querySelectorAll(selector)) {
      if (!foreign(element)) parts.push(read(element) || '');
    }
  };
  add('details:not([open]) > :not(summary)', (e) => e.textContent);
  add('[placeholder]', (e) => e.getAttribute('placeholder'));
  add('input[type=submit], input[type=button], input[type=reset]', (e) => e.value);
  add('[aria-label]', (e) => e.getAttribute('aria-label'));
  add('img[alt]', (e) => e.getAttribute('alt'));
  return parts.join('\\n');
}
"""


def page_text(page, language: str) -> str:
    return page.evaluate(_PAGE_TEXT_JS, language)


# Addresses are no one's language ("online" in https://meet.example.org/online).
_ADDRESSES = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+")


def english_found(text: str, language: str) -> list[Candidate]:
    remaining = _normalise(_ADDRESSES.sub(" ", text))
    hits = []
    # Longest first, each found phrase taken out of the text: "Activities" inside "Find
    # activities near you" is that sentence, not one more finding; on its own it is one.
    for candidate in _longest_first(language):
        remaining, count = candidate.pattern.subn("\n", remaining)
        if count:
            hits.append(candidate)
    return hits


@functools.cache
def _longest_first(language: str) -> tuple[Candidate, ...]:
    return tuple(sorted(portal_english(language), key=lambda c: -len(c.phrase)))


def assert_no_portal_english(page_or_text, language: str) -> None:
    """Fail, listing each English msgid of the portal's own found in the page (or the text)."""
    if isinstance(page_or_text, str):
        text, where = page_or_text, "the text"
    else:
        text, where = page_text(page_or_text, language), page_or_text.url
    hits = english_found(text, language)
    assert not hits, f"English of the portal's own on a '{language}' page ({where}):\n" + "\n".join(
        f"  {hit.phrase!r}" + (f"  (from msgid {hit.msgid!r})" if hit.msgid != hit.phrase else "")
        for hit in hits
    )
