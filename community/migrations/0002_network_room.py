"""The network-wide room "Ask and share", followed by every member registered so far (new
members follow it when they join: `community.services.follows_ensure_defaults`). Branch rooms
come with their branches, which staff create in the admin. Safe to run twice."""

from django.db import migrations

NAME = "Ask and share"
SLUG = "ask-and-share"


def forwards(apps, schema_editor):
    Room = apps.get_model("community", "Room")
    RoomFollow = apps.get_model("community", "RoomFollow")
    Participant = apps.get_model("members", "Participant")
    room = Room.objects.filter(kind="network").first()
    if room is None:
        room = Room.objects.create(kind="network", name=NAME, slug=SLUG)
    members = Participant.objects.filter(user__isnull=False, deleted_at__isnull=True)
    RoomFollow.objects.bulk_create(
        [RoomFollow(participant_id=pk, room=room) for pk in members.values_list("pk", flat=True)],
        ignore_conflicts=True,
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("community", "0001_rooms_topics_posts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
