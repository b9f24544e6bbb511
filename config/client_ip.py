"""The client's address, for login throttling and rate limits.

Behind TRUSTED_PROXY_COUNT proxies, the address is the one the outermost trusted proxy saw
(that many entries from the right of X-Forwarded-For); anything further left is client-made
and could be forged. Without proxies, REMOTE_ADDR.
"""

from django.conf import settings


def client_ip(request) -> str:
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - an address, not a bind
