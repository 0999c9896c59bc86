"""Every string the Python code shows people is marked for translation (issue 12): a scan of the
syntax tree where people read strings (core/i18n_scan_python.py), the counterpart of the template
scan in tests/test_templates_marked.py."""

from pathlib import Path

from core import i18n_scan_python as scan


def test_every_string_people_read_is_marked_for_translation():
    unmarked = scan.all_unmarked_strings()
    assert not unmarked, "Mark these with gettext / gettext_lazy (or gettext_noop):\n" + "\n".join(
        map(str, unmarked)
    )


def test_the_scan_covers_the_apps_and_skips_what_is_not_interface():
    modules = {str(path.relative_to(scan.BASE_DIR)) for path in scan.project_modules()}
    assert {"core", "members", "invitations", "activities", "newsletters", "backoffice"} <= set(
        scan.APPS
    )
    assert "norec_network" in scan.APPS and "tests" not in scan.APPS
    for app in scan.APPS:
        assert any(module.startswith(f"{app}/") for module in modules), app
    assert "members/services/addresses.py" in modules
    assert not [module for module in modules if "/migrations/" in module]
    assert "activities/demo.py" not in modules


def findings(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    module = tmp_path / "views.py"
    module.write_text(source)
    return [(item.line, item.text) for item in scan.unmarked_strings(module)]


def test_unmarked_messages_errors_and_refusals_are_found(tmp_path):
    source = """\
from django.contrib import messages
from django.utils.translation import gettext as _

def view(request, name, participant):
    messages.success(request, "Your profile is saved.")
    messages.info(request, _("Marked, so fine."))
    messages.add_message(request, messages.INFO, f"Hello {name}")
    messages.error(request, _("Hello %(name)s") % {"name": name})
    messages.warning(request, "Hello %s" % name)
    raise ValidationError("Enter a real year.")

def refuse():
    raise ParticipantRefused("This address is taken.", code="taken")

def fine(request, text):
    messages.success(request, text)
    raise ActivityRefused(_("Full."))
"""
    assert findings(tmp_path, source) == [
        (5, "Your profile is saved."),
        (7, "f'Hello {…}'"),
        (9, "Hello %s"),
        (10, "Enter a real year."),
        (13, "This address is taken."),
    ]


def test_unmarked_labels_of_fields_admin_and_models_are_found(tmp_path):
    source = """\
from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

class ProfileForm(forms.Form):
    city = forms.CharField(label="City", help_text=_("Where you live."))
    kind = forms.ChoiceField(choices=[("a", "Online"), ("b", _("In person"))])

class Place(models.Model):
    name = models.CharField("name", max_length=10)
    owner = models.ForeignKey("members.User", on_delete=models.CASCADE)
    note = models.TextField(_("note"), help_text="Shown to staff.")

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SHUT = "shut", _("Shut")

    class Meta:
        verbose_name = "place"
        verbose_name_plural = _("places")

class PlaceAdmin(admin.ModelAdmin):
    @admin.display(description="where")
    def where(self, obj):
        return obj.name

    @admin.action(description=_("Close the selected places"))
    def close(self, request, queryset):
        pass

def column(obj):
    return obj
column.short_description = "Column"
"""
    assert findings(tmp_path, source) == [
        (7, "City"),
        (8, "Online"),
        (11, "name"),
        (13, "Shown to staff."),
        (16, "Open"),
        (20, "place"),
        (24, "where"),
        (34, "Column"),
    ]


def test_stored_sentences_must_be_marked_and_demo_data_is_content(tmp_path):
    source = """\
from django.utils.translation import gettext_noop

from core.stored_text import Sentence

REASON = Sentence("Paused by %(who)s.", {"who": "x"})
MARKED = Sentence(gettext_noop("Paused by staff."))

def seed_demo():
    Request(message="I never received an invitation.")
    messages.success(request, "Demo data is content, not interface.")
"""
    assert findings(tmp_path, source) == [(5, "Paused by %(who)s.")]


def test_words_that_read_the_same_in_every_language_and_markup_are_not_findings(tmp_path):
    source = """\
def view(request):
    messages.info(request, "Norec Network")
    messages.info(request, "<br>")
    messages.info(request, "%(count)s · %(total)s")
    messages.info(request, "CSV")
"""
    assert findings(tmp_path, source) == []
