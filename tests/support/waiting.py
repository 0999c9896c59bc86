"""Polling for what a worker process does in its own time.

A message reaching the SMTP sink does not mean the worker has committed its ``sent`` mark yet:
the mark is written after the server accepted the message. Tests wait for the database state
instead of sleeping a guessed time.
"""

import time


def wait_until(condition, timeout=90.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError("condition not met in time")
