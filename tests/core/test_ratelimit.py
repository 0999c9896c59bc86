"""The one rate limiter and the one notion of "client" (core/ratelimit.py), and the
configuration that makes them right behind the documented TLS proxy."""

import pytest
from django.conf import settings
from django.test import Client
from django.test import RequestFactory
from django.urls import reverse

from core.ratelimit import RateLimit
from core.ratelimit import client_ip
from tests.members.factories import DEFAULT_PASSWORD
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


def request_from(remote_addr: str, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_a_trusted_proxy_the_client_is_the_connection(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0

    # Whatever the client writes in X-Forwarded-For is its own words.
    assert client_ip(request_from("203.0.113.7", "192.0.2.1")) == "203.0.113.7"


def test_behind_one_trusted_proxy_the_client_is_the_address_the_proxy_saw(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    assert client_ip(request_from(PROXY, "203.0.113.7")) == "203.0.113.7"
    # The proxy appends what it saw to what the client sent: only its own entry is believed.
    assert client_ip(request_from(PROXY, "192.0.2.1, 203.0.113.7")) == "203.0.113.7"
    # A request that did not come through the proxy (a health check) is its connection.
    assert client_ip(request_from(PROXY)) == PROXY


def test_an_ipv6_client_counts_as_its_whole_network(settings):
    # One IPv6 subscriber holds a /64 and may pick any address in it.
    first = client_ip(request_from("2001:db8:1:2::1"))
    second = client_ip(request_from("2001:db8:1:2:ffff::9"))
    neighbour = client_ip(request_from("2001:db8:1:3::1"))

    assert first == second == "2001:db8:1:2::/64"
    assert neighbour != first


def test_a_limit_counts_each_key_on_its_own_and_refuses_past_its_amount():
    limit = RateLimit(scope="test:unit", amount=3, period=60)

    assert [limit.hit("203.0.113.7") for _ in range(4)] == [False, False, False, True]
    assert limit.hit("198.51.100.23") is False
    # The same limit in another scope is another counter.
    assert RateLimit(scope="test:other", amount=3, period=60).hit("203.0.113.7") is False


def test_in_redis_every_counter_ends_with_its_window_and_hides_the_key(redis_cache):
    import redis
    from django.core.cache import cache

    limit = RateLimit(scope="test:redis", amount=2, period=90)
    for _ in range(3):
        limit.hit("Amina@Example.org")
    assert limit.hit("amina@example.org") is True  # the same address, however it is written

    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    (key,) = connection.scan_iter(f"{cache.key_prefix}:*ratelimit:test:redis:*")
    ttl = connection.ttl(key)
    connection.close()
    assert b"amina" not in key.lower()
    assert 0 < ttl <= 90


# --- allauth's own limits use the same client --------------------------------------------------


def failed_logins(client: Client, count: int) -> None:
    for number in range(count):
        client.post(
            reverse("account_login"),
            {"login": f"nobody{number}@example.org", "password": "wrong-password-1"},
        )


def log_in(client: Client, member):
    return client.post(
        reverse("account_login"), {"login": member.user.email, "password": DEFAULT_PASSWORD}
    )


def test_behind_the_proxy_failed_logins_of_one_client_do_not_lock_out_another(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    member = MemberFactory()
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    failed_logins(attacker, 10)
    assert "Too many failed login attempts" in log_in(attacker, member).text

    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23")

    assert log_in(colleague, member).status_code == 302


def test_without_a_trusted_proxy_a_client_cannot_escape_the_login_limit(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    member = MemberFactory()

    def spoofing(number: int) -> Client:
        return Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    for number in range(10):
        failed_logins(spoofing(number), 1)

    assert "Too many failed login attempts" in log_in(spoofing(200), member).text
