"""Shared fixtures. Tests run on PostgreSQL and Redis: `make test` sets DATABASE_URL and
CELERY_BROKER_URL."""

import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from norec_network.celery import app as celery_app


def pytest_configure(config):
    # Tests are only worth something on the database production runs on.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit(
            "The tests need PostgreSQL: run them with `make test` (it sets DATABASE_URL).", 2
        )
    # A real PBKDF2 hash costs ~0.65 s on these machines and the suite creates hundreds of users;
    # what a test checks about passwords does not depend on the hasher (cookiecutter-django does
    # the same). The worker subprocesses never hash passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _own_broker_per_xdist_worker()


def _own_broker_per_xdist_worker():
    """With `pytest -n N`, each xdist process has its own test database but would share the
    broker's queues, so one process's real worker could take another's tasks. Give each process
    its own Redis database (gw0 keeps the configured one)."""
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = urlsplit(settings.CELERY_BROKER_URL)
    if not index or url.scheme not in ("redis", "rediss"):
        return
    database = int(url.path.strip("/") or 0) + index
    own = url._replace(path=f"/{database}").geturl()
    # Celery reads the variable before its configuration (see tests/support/worker.py).
    os.environ["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL = own
    celery_app.conf.broker_url = own


@pytest.fixture(autouse=True)
def _isolated_cache():
    # Rate limits live in the cache: clear it so that one test's attempts never block another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request leaves its language active in the thread (LocaleMiddleware and
    members/language.py activate it, as for each request of a server's thread): each test starts
    from English, whatever language the previous one's pages were in."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks in-process; tests marked `integration` use a real worker instead."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests serve plain files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def redis_cache(settings):
    """The cache production uses for rate limits (Redis), under a key prefix of this test's own,
    so that nothing else in that Redis database is touched."""
    import uuid

    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, with the authenticator app every staff account must have."""
    from tests.members.factories import give_totp

    return give_totp(admin_user)
