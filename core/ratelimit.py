"""The portal's one rate limiter, and the one helper that knows who the client is.

A limit counts attempts per key in the shared cache (Redis in production, so every web process
sees the same counters), in a window that starts at the key's first counted attempt. Keys are
hashed: no address sits in the cache in clear.

Callers decide what counts. Links with a secret token count failures only (a wrong token), so
a valid link is never refused whoever else shares the client's address; forms that anyone may
post count every post.

Anonymous limits are per client, and the client is the address allauth sees (`client_ip`).
Behind the TLS proxy every request comes from the proxy's address; allauth trusts the last
`ALLAUTH_TRUSTED_PROXY_COUNT` entries of X-Forwarded-For (the ones our own proxies wrote) and
nothing a client could have written itself. allauth's login limits use the same address.

Shared infrastructure: imports no app of the project.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.cache import cache

# An IPv6 client usually holds a whole /64 and can pick any address in it; counting per address
# would let it start afresh at will. allauth groups IPv6 clients the same way.
IPV6_PREFIX = 64


def client_ip(request) -> str:
    """The real client address of a request (an IPv6 address as its /64 network)."""
    ip = get_adapter(request).get_client_ip(request)
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_PREFIX}", strict=False))
    return ip


@dataclass(frozen=True)
class RateLimit:
    """At most `amount` counted attempts per key within `period` seconds."""

    scope: str
    amount: int
    period: int

    def _cache_key(self, key: str) -> str:
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        return f"ratelimit:{self.scope}:{self.amount}/{self.period}:{digest}"

    def hit(self, key: str) -> bool:
        """Count one attempt for `key`; True when it is over the limit (refuse it)."""
        cache_key = self._cache_key(key)
        cache.add(cache_key, 0, self.period)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window ended between add and incr
            cache.set(cache_key, 1, self.period)
            count = 1
        else:
            if count == 1:
                # Redis's INCR recreates a key that expired a moment earlier, without an expiry:
                # make sure every window ends.
                cache.touch(cache_key, self.period)
        return count > self.amount
