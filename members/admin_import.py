"""The roster upload page in the admin (same service and report as `import_participants`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from members.roster_import import COLUMNS
from members.roster_import import MAX_FILE_BYTES
from members.roster_import import REQUIRED_COLUMNS
from members.roster_import import roster_import
from members.services import ParticipantRefused

IMPORT_PERMISSIONS = ("members.add_participant", "members.change_participant")
# The page lists this many bad rows; the command prints them all.
MAX_PROBLEMS_SHOWN = 1000


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (CSV)"),
        help_text=_("Comma, semicolon or tab separated, as a spreadsheet saves it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and show the report, save nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // 2**20}
            )
        return upload


def can_import_roster(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS)


def participant_import_view(model_admin, request) -> HttpResponse:
    if not can_import_roster(request.user):
        raise PermissionDenied
    report = None
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = roster_import(
                    data=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                    actor=request.user,
                    source=upload.name,
                )
            except ParticipantRefused as error:
                form.add_error("file", str(error))
            else:
                if report.dry_run:
                    level = messages.INFO
                elif report.errors:
                    level = messages.WARNING
                else:
                    level = messages.SUCCESS
                model_admin.message_user(request, report.summary(), level)
                # A file input cannot keep its file; after a dry run the next step is the real
                # import of the same file, so offer a fresh form with the box unticked.
                form = RosterImportForm()
    else:
        form = RosterImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import the roster"),
        "opts": model_admin.model._meta,
        "form": form,
        "report": report,
        "errors_shown": report.errors[:MAX_PROBLEMS_SHOWN] if report else [],
        "warnings_shown": report.warnings[:MAX_PROBLEMS_SHOWN] if report else [],
        "max_shown": MAX_PROBLEMS_SHOWN,
        "columns": COLUMNS,
        "required_columns": REQUIRED_COLUMNS,
        "changelist_url": reverse("admin:members_participant_changelist"),
    }
    return TemplateResponse(request, "admin/members/participant/roster_import.html", context)
