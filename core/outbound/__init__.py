"""The one bulk sender: batched, throttled, crash-safe mail for invitation waves, newsletters and
broadcasts to an activity's registrants. One-off mail (`core.mail`) is a stream too, sent
row by row (`send_one`), so that one tracking receiver and one sweep serve every mail.

Each message is a row of a model that inherits `outbound_model.OutboundMessage` (an `Invitation`, a
newsletter `Delivery`); the row, in PostgreSQL, is the only truth about whether it was sent. Neither
Redis nor the broker's redelivery is trusted: losing either loses nothing.

How a message travels

1. A *stream* (one per kind of row) is registered with `register_stream()` from an app's
   `AppConfig.ready()`. It says which campaigns (a wave, a newsletter) may send now, with their pace
   and sending window, and how to build the message for a row.
2. `outbound_tick` (beat, every OUTBOUND_TICK_SECONDS; the tasks are in `core.tasks`) first lets
   each stream move its campaigns on (`advance_campaigns`: a wave whose start has come begins
   sending), then enqueues one `outbound_send_batch` per campaign that `due_batches` names (asking
   which campaigns are due never writes). A service that starts a campaign calls
   `core.tasks.start_campaign`: one chain of batches per bulk worker process, at once. The batch
   task claims the campaign's next pending rows with `SELECT ... FOR UPDATE SKIP LOCKED` (so two
   workers never take the same row), within the rate per hour, the batch size and the
   recipients' local sending window, and marks them `sending`.
3. It sends the claimed rows in id order, in groups of `send_group()` (OUTBOUND_SEND_GROUP, 20):
   before each group it reads whether the group's rows are still its own and the campaign still
   sends (the stream's `campaign_sends`); it hands the group's messages over through up to
   OUTBOUND_CONNECTIONS backend connections at once (a thread each); right after the backend
   accepted them it marks the group's rows `sent`, each with its ESP message id, in one UPDATE
   and one commit. A worker killed at any moment therefore leaves at most one group per batch
   whose fate is unknown: the batch's `send_group()` lowest ids still `sending`. A pause or a
   cancel stops the batch after the group in flight, and the rest goes back to `pending`, no
   attempt counted. (OUTBOUND_SEND_GROUP=1 is one message at a time, as before.) Over Django's
   SMTP backend a stream with `build_template` has each message written as bytes from its
   template's skeleton, flattened once per template (`wire`): the same bytes as the `email`
   package would write, at a fraction of the CPU.
   Through an ESP that sends batches (`batching`), a stream with `build_template` sends the
   claimed rows instead in one call per ESP-sized group of one template (a campaign in one
   language), each row marked `sent` with its own ESP message id in one commit per group. Before
   each group one query checks that its rows are still this batch's and the campaign still sends
   (a pause stops after the group in flight); right before the call the group's rows are stamped
   as handed over (`claimed_by` + `batching.HANDED_OVER`, `claimed_at` the time of the call), so
   that a dead worker's group in the ESP's hands is known as a whole, and the rest of its batch
   (`claimed_by` + `batching.IN_GROUPS`) as certainly never handed over (step 4).
4. `outbound_sweep` (beat, every OUTBOUND_SWEEP_SECONDS) finds the batches of dead workers: a
   claim records the worker process (`claimed_by`, "<node>/<pid>"), and a batch whose process no
   longer answers Celery's broadcast (`live_workers`) is dead at once; any batch `sending` for
   longer than a live one can take (OUTBOUND_STALE_SECONDS) is dead too, whoever answers. Its rows
   that were certainly never handed over go back to `pending` at once. The group that may have been
   in flight goes back with them over plain SMTP, where no webhook will ever say it was sent (so
   at most one group per killed batch can be sent twice); with an ESP that reports back
   (OUTBOUND_AWAIT_WEBHOOKS) it waits until OUTBOUND_UNCERTAIN_SECONDS after its claim for the
   webhooks (the tracking receiver then marks each row it reports `sent`). Recovery never
   waits for the broker's visibility timeout. A group stamped as handed over to an ESP (`batching`)
   is uncertain as a whole: every row of it waits in the same way, and only the rows the ESP
   never reported are sent again.
5. Every message carries anymail metadata `{"stream": <name>, "id": <row id>}` and its own
   Message-ID. The tracking receiver (`anymail.signals.tracking`) maps each event back to its row:
   `delivered` stamps it; `bounced`/`rejected` mark it bounced and `complained` stamps a complaint,
   and all three mark the participant's address bad through the hooks members registers
   (`register_recipient_hooks`) while it is still their address (`is_soft_bounce`: a bounce the
   ESP calls temporary is only noted). An unsubscribe (`is_unsubscribe`) takes the person off the
   newsletter, never marking the address bad. A repeated event changes nothing; events for
   unknown messages are logged and ignored; refusing webhooks without the secret is anymail's job
   (ANYMAIL_WEBHOOK_SECRET). The receiver is connected in `CoreConfig.ready()`.
6. A campaign protects the sender's reputation: a bounce rate above 3 % or a complaint rate above
   0.08 % makes the stream pause it, with the reason, once OUTBOUND_MIN_SAMPLE messages went out,
   or, in a smaller campaign, once it has OUTBOUND_MIN_BOUNCES bounces (OUTBOUND_MIN_COMPLAINTS
   complaints).

Example: newsletters

    from core import outbound

    class Delivery(OutboundMessage):  # status, email, time_zone, claimed_at, sent_at, ...
        newsletter = models.ForeignKey(Newsletter, ...)
        participant = models.ForeignKey(Participant, ...)

    def active_newsletters(now):
        for newsletter in Newsletter.objects.filter(status="sending"):
            yield outbound.Campaign(id=newsletter.pk, rate_per_hour=2000, batch_size=200)

    def build_delivery(delivery):  # the row comes with `prepare`'s select_related
        return render_email("emails/newsletters/issue", {...}, to=[delivery.email])

    # in NewslettersConfig.ready():
    outbound.register_stream(outbound.OutboundStream(
        name="newsletter",
        model=Delivery,
        campaign_field="newsletter",
        active_campaigns=active_newsletters,
        build_message=build_delivery,
        prepare=lambda rows: rows.select_related("newsletter", "participant"),
        pause_campaign=lambda campaign_id, reason: newsletter_pause(pk=campaign_id, reason=reason),
        campaign_finished=lambda campaign_id: newsletter_mark_sent(pk=campaign_id),
    ))

    # after creating the Delivery rows (status pending) for a newsletter that is now "sending",
    # start at once rather than at the next tick, one batch chain per worker process:
    core.tasks.start_campaign("newsletter", newsletter.pk)

The package, one module per part of that journey (import from `core.outbound`, which re-exports
what other modules use):

- `registry`: what a stream declares, the registered streams, which campaigns are due, and the
  OUTBOUND_* settings read (steps 1 and 2);
- `sending`: claiming rows and sending them, a batch (in groups) or one row (step 3);
- `handover`: handing a group's messages to the backend over several connections at once, and
  the one UPDATE that marks the group `sent` (step 3);
- `templates`: a campaign's message built once with placeholders and filled in per recipient;
- `batching`: ESP batch sending, one call per group of one template (step 3);
- `marks`: what the sender writes on a row (refused, failed, back to pending) and stamps on a
  message (metadata, tags, Message-ID);
- `sweep`: recovering the work of dead workers (step 4);
- `tracking`: the tracking receiver and what an ESP's report means (step 5);
- `reputation`: campaign rates and the pause that protects the sender (step 6);
- `preparing`: creating a campaign's rows in the worker, a chunk at a time, before it sends
  (a launch or "send now" marks it "preparing"; the sweep re-kicks a preparation whose worker died);
- `pace`: how long a campaign takes at its pace and window, and how fast it goes now (what the
  newsletter and wave pages show; imported as `core.outbound.pace`, not re-exported).
"""

from core.outbound.marks import MAX_ATTEMPTS
from core.outbound.preparing import PREPARE_CHUNK
from core.outbound.preparing import Preparation
from core.outbound.preparing import PrepareResult
from core.outbound.preparing import next_recipients
from core.outbound.preparing import prepare_chunk
from core.outbound.preparing import register_preparation
from core.outbound.preparing import stalled_preparations
from core.outbound.registry import Campaign
from core.outbound.registry import OutboundStream
from core.outbound.registry import SendingWindow
from core.outbound.registry import active_campaign
from core.outbound.registry import advance_campaigns
from core.outbound.registry import due_batches
from core.outbound.registry import get_stream
from core.outbound.registry import parallel_batches
from core.outbound.registry import register_stream
from core.outbound.registry import streams
from core.outbound.reputation import BOUNCE_RATE_LIMIT
from core.outbound.reputation import COMPLAINT_RATE_LIMIT
from core.outbound.reputation import campaign_rates
from core.outbound.reputation import check_campaign_health
from core.outbound.reputation import paused_by
from core.outbound.sending import BatchResult
from core.outbound.sending import claim
from core.outbound.sending import send_batch
from core.outbound.sending import send_claimed
from core.outbound.sending import send_one
from core.outbound.sweep import live_workers
from core.outbound.sweep import sweep
from core.outbound.sweep import worker_identity
from core.outbound.tracking import RecipientHooks
from core.outbound.tracking import apply_event
from core.outbound.tracking import esp_source
from core.outbound.tracking import is_soft_bounce
from core.outbound.tracking import is_unsubscribe
from core.outbound.tracking import register_recipient_hooks
from core.outbound.tracking import tracking_receiver
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

__all__ = [
    "BOUNCE_RATE_LIMIT",
    "COMPLAINT_RATE_LIMIT",
    "MAX_ATTEMPTS",
    "PREPARE_CHUNK",
    "next_recipients",
    "BatchResult",
    "Campaign",
    "OutboundMessage",
    "OutboundStatus",
    "OutboundStream",
    "Preparation",
    "PrepareResult",
    "RecipientHooks",
    "SendingWindow",
    "active_campaign",
    "advance_campaigns",
    "apply_event",
    "campaign_rates",
    "check_campaign_health",
    "claim",
    "due_batches",
    "esp_source",
    "get_stream",
    "is_soft_bounce",
    "is_unsubscribe",
    "live_workers",
    "parallel_batches",
    "paused_by",
    "prepare_chunk",
    "register_recipient_hooks",
    "register_preparation",
    "register_stream",
    "send_batch",
    "send_claimed",
    "send_one",
    "stalled_preparations",
    "streams",
    "sweep",
    "tracking_receiver",
    "worker_identity",
]
