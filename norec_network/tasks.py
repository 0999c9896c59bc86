from celery import shared_task

from norec_network.mail import payload_to_message


@shared_task(
    name="norec_network.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_email(payload: dict) -> None:
    """Send one transactional message (password reset, verification, confirmations).

    It takes the rendered message rather than a primary key because allauth's mails have no row of
    their own; bulk mail (invitations, newsletters) goes through the batch sender instead.
    """
    payload_to_message(payload).send()


@shared_task(name="norec_network.ping")
def ping(value: str) -> str:
    """A no-op used by the integration tests to prove a worker runs tasks."""
    return value
