"""The community in the back office: branches (committee, countries) and their rooms, themes,
topics and posts with the moderation actions (each calls community.services), the reports
(staff's moderation queue, acting through community.moderation), branch announcements and
digest deliveries (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import moderation
from community import services
from community.models import Announcement
from community.models import Branch
from community.models import DigestDelivery
from community.models import Post
from community.models import Report
from community.models import Room
from community.models import Tag
from community.models import Topic
from core.admin import SENDING_FIELDS
from core.admin import ReadOnlyModelAdmin
from core.outbound_model import OutboundStatus
from members.models import Participant


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "countries_shown", "committee_size"]
    search_fields = ["name"]
    list_filter = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["committee"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "committee":
            # Members only: someone on the roster without an account cannot moderate.
            kwargs["queryset"] = Participant.objects.filter(
                user__isnull=False, deleted_at__isnull=True
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("countries"))
    def countries_shown(self, branch: Branch) -> str:
        return ", ".join(country.name for country in branch.countries)

    @admin.display(description=_("committee"))
    def committee_size(self, branch: Branch) -> int:
        return branch.committee.count()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The branch's room, followed by the members of its countries (made once; a change of
        # countries adds the members of the new ones).
        room = services.branch_room_ensure(branch=form.instance)
        self.message_user(
            request,
            _("The room “%(room)s” is followed by the members of the branch's countries.")
            % {"room": room.display_name},
        )


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "branch", "slug"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["kind", "branch"]

    def has_add_permission(self, request) -> bool:
        # The network room comes with the portal and each branch's room with its branch.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "ordering"]
    list_editable = ["ordering"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "room", "author", "pinned", "hidden", "held", "reply_count"]
    list_filter = ["room", "hidden", "pinned", "held", "tag"]
    search_fields = ["title"]
    list_select_related = ["room", "author"]
    autocomplete_fields = ["author", "tag"]
    fields = ["title", "room", "tag", "author", "pinned", "activity_id"]
    # The title is part of what search reads (the first post's `search_text`): its author
    # changes it through the service.
    readonly_fields = ["title", "room", "author", "activity_id"]

    def has_add_permission(self, request) -> bool:
        return False


def _run(modeladmin, request, queryset, action, done_message):
    """Each selected post through the service; `done_message(count)` says how many changed."""
    changed = 0
    for post in queryset:
        changed += bool(action(post=post, moderator=request.user))
    modeladmin.message_user(
        request, done_message(changed), messages.SUCCESS if changed else messages.WARNING
    )


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "room", "status", "created_at"]
    list_filter = ["status", "topic__room", "is_opening"]
    search_fields = ["topic__title", "search_text"]
    list_select_related = ["topic", "topic__room", "author"]
    actions = ["approve", "hide", "restore"]
    readonly_fields = [
        "topic",
        "author",
        "is_opening",
        "text",
        "image",
        "status",
        "source",
        "edited_at",
        "moderated_at",
        "moderated_by",
        "created_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text", "search_text")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("room"), ordering="topic__room")
    def room(self, post: Post):
        return post.topic.room

    @admin.action(description=_("Approve the selected posts"), permissions=["change"])
    def approve(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.post_approve,
            lambda n: (
                ngettext("%(count)s post approved.", "%(count)s posts approved.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Hide the selected posts"), permissions=["change"])
    def hide(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda post, moderator: services.post_set_hidden(
                post=post, hidden=True, moderator=moderator
            ),
            lambda n: (
                ngettext("%(count)s post hidden.", "%(count)s posts hidden.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Restore the selected hidden posts"), permissions=["change"])
    def restore(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda post, moderator: services.post_set_hidden(
                post=post, hidden=False, moderator=moderator
            ),
            lambda n: (
                ngettext("%(count)s post restored.", "%(count)s posts restored.", n) % {"count": n}
            ),
        )


# --- the moderation queue, branch announcements and digests -----------------------------------


class ReportStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("waiting for a moderator")), ("settled", _("settled"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(settled_at__isnull=True)
        if self.value() == "settled":
            return queryset.filter(settled_at__isnull=False)
        return queryset


def _moderate(modeladmin, request, queryset, action, done_message):
    """Each selected report's post through a `community.moderation` service (once per post,
    however many of its reports are selected); the services record the audit log."""
    changed = 0
    posts = Post.objects.filter(pk__in=queryset.values("post_id")).select_related(
        "topic", "topic__room"
    )
    for post in posts:
        changed += bool(action(post=post, user=request.user))
    modeladmin.message_user(
        request, done_message(changed), messages.SUCCESS if changed else messages.WARNING
    )


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The staff's moderation queue (all rooms): reports read here, and acted on through the
    moderation services, as committees do from the member pages."""

    list_display = ["post_link", "room", "post_status", "reporter", "reason", "created_at"]
    list_filter = [ReportStateFilter, ("post__topic__room", admin.RelatedOnlyFieldListFilter)]
    list_filter += ["post__status"]
    search_fields = ["reason", "post__topic__title"]
    list_select_related = ["post", "post__topic", "post__topic__room", "reporter"]
    actions = ["hide_posts", "restore_posts", "dismiss_reports"]
    readonly_fields = [
        "post",
        "post_text",
        "reporter",
        "reason",
        "created_at",
        "settled_at",
        "settled_by",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("post__text", "post__search_text")

    def has_add_permission(self, request) -> bool:
        return False

    def has_moderate_permission(self, request) -> bool:
        # Hiding and restoring change a post: the permission every moderation page asks.
        return moderation.is_staff_moderator(request.user)

    @admin.display(description=_("post"), ordering="post")
    def post_link(self, report: Report):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("community:topic", args=[report.post.topic_id]) + f"#post-{report.post_id}",
            report.post,
        )

    @admin.display(description=_("room"), ordering="post__topic__room")
    def room(self, report: Report):
        return report.post.topic.room

    @admin.display(description=_("post's status"), ordering="post__status")
    def post_status(self, report: Report) -> str:
        return report.post.get_status_display()

    @admin.display(description=_("text"))
    def post_text(self, report: Report) -> str:
        return report.post.text

    @admin.action(description=_("Hide the reported posts"), permissions=["moderate"])
    def hide_posts(self, request, queryset):
        _moderate(
            self,
            request,
            queryset,
            moderation.moderate_hide,
            lambda n: (
                ngettext("%(count)s post hidden.", "%(count)s posts hidden.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Restore the reported posts"), permissions=["moderate"])
    def restore_posts(self, request, queryset):
        _moderate(
            self,
            request,
            queryset,
            moderation.moderate_restore,
            lambda n: (
                ngettext("%(count)s post restored.", "%(count)s posts restored.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Dismiss the reports (the posts stay)"), permissions=["change"])
    def dismiss_reports(self, request, queryset):
        _moderate(
            self,
            request,
            queryset,
            moderation.reports_dismiss,
            lambda n: (
                ngettext(
                    "Reports on %(count)s post dismissed.",
                    "Reports on %(count)s posts dismissed.",
                    n,
                )
                % {"count": n}
            ),
        )


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyModelAdmin):
    """Read-only: a committee member or staff sends one from the member pages; the bulk sender
    and the ESP's events change its messages."""

    list_display = ["subject", "branch", "sent_by", "status", "recipient_count", "created_at"]
    list_filter = ["status", "branch"]
    search_fields = ["subject", "branch__name"]
    list_select_related = ["branch", "sent_by"]
    date_hierarchy = "created_at"
    fields = [
        "branch",
        "subject",
        "body",
        "sent_by",
        "status",
        "recipient_count",
        "progress",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")

    @admin.display(description=_("messages"))
    def progress(self, announcement: Announcement) -> str:
        counts = dict(
            announcement.messages.values_list("status").annotate(n=Count("pk")).order_by()
        )
        labels = dict(OutboundStatus.choices)
        parts = [
            f"{labels.get(status, status)}: {counts[status]}"
            for status in OutboundStatus.values
            if counts.get(status)
        ]
        return " · ".join(parts) or "—"


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ReadOnlyModelAdmin):
    """Read-only: made by a digest run, changed by the bulk sender and the ESP's events."""

    list_display = ["participant", "email", "frequency", "until", "status", "sent_at"]
    list_filter = ["status", "frequency", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "participant__first_name", "participant__last_name"]
    list_select_related = ["participant"]
    date_hierarchy = "until"
    fields = ["participant", "email", "frequency", "since", "until", *SENDING_FIELDS]
    readonly_fields = fields
