import pytest


@pytest.fixture
def mails(mailoutbox, django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (send_later enqueues on commit; tasks run eagerly),
    and hand back the outbox: `with mails() as outbox: ...`."""
    import contextlib

    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield mailoutbox

    return capture
