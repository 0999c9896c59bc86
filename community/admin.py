"""The community in the back office: branches (committee, countries) and their rooms, themes,
topics and posts with the moderation actions (each calls community.services)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import services
from community.models import Branch
from community.models import Post
from community.models import Room
from community.models import Tag
from community.models import Topic
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
