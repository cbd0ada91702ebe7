"""Who may read /metrics (and the worker and beat exporters): configured networks or the bearer token."""

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(net, strict=False) for net in spec)


def token_matches(authorization: str) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    if not token:
        return False
    scheme, _, presented = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def network_allowed(remote_addr: str, *, forwarded: bool) -> bool:
    """A request that came through the site's proxy (X-Forwarded-For behind PROXY_COUNT > 0) carries the
    proxy's address, not the caller's, so only the token lets it in."""
    if forwarded and settings.METRICS_BEHIND_PROXY:
        return False
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return any(address in net for net in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


def allowed(meta: dict) -> bool:
    """`meta` is a WSGI environ (Django's request.META)."""
    return token_matches(meta.get("HTTP_AUTHORIZATION", "")) or network_allowed(
        meta.get("REMOTE_ADDR", ""), forwarded="HTTP_X_FORWARDED_FOR" in meta
    )
