"""Every text a template shows is marked for translation (issue 12): a French page must not fall
back to an English sentence because someone forgot `{% translate %}`."""

from pathlib import Path

from core import i18n_scan


def test_every_template_text_is_marked_for_translation():
    unmarked = i18n_scan.all_unmarked_text()
    assert not unmarked, "Text outside {% translate %} / {% blocktranslate %}:\n" + "\n".join(
        map(str, unmarked)
    )


def test_the_scan_finds_unmarked_text_and_attributes(tmp_path: Path, monkeypatch):
    template = tmp_path / "page.html"
    template.write_text(
        "{% load i18n %}<h1>{% translate 'Welcome' %}</h1>\n"
        "<p>Hello {{ name }}</p>\n"
        '<img alt="A photo" src="x.png">\n'
        "{% blocktranslate %}Marked {{ name }}{% endblocktranslate %}\n"
        "{% comment %}A note for developers{% endcomment %}<!-- an HTML comment -->\n"
        "<script>const words = 'not text';</script><p>Norec Network · 2026</p>\n"
    )
    monkeypatch.setattr(i18n_scan, "BASE_DIR", tmp_path)
    found = i18n_scan.unmarked_text(template)
    assert [(item.line, item.text) for item in found] == [(2, "Hello …"), (3, "A photo")]


def test_plain_text_mail_templates_are_scanned_line_by_line(tmp_path: Path, monkeypatch):
    template = tmp_path / "mail.txt"
    template.write_text("{% load i18n %}{% translate 'Hello,' %}\n\nBest regards,\nNorec Network\n")
    monkeypatch.setattr(i18n_scan, "BASE_DIR", tmp_path)
    assert [(item.line, item.text) for item in i18n_scan.unmarked_text(template)] == [
        (3, "Best regards,")
    ]
