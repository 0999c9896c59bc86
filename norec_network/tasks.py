from celery import shared_task


@shared_task(name="norec_network.ping")
def ping(value: str) -> str:
    """A no-op used by the integration tests to prove a worker runs tasks."""
    return value
