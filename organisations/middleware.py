"""Dates and times on pages in the organisation's own time zone; headers that keep logged-in
pages out of caches and the browser's powerful features switched off; pages gzipped, except
those that show a secret."""

import zoneinfo

from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from organisations import roles


class OrganisationTimeZoneMiddleware:
    """Activates the logged-in person's organisation's time zone for the request, so that a
    comment's time on a page agrees with its period in the figures and with the exports."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = roles.organisation_of(request.user)
        if organisation is not None:
            timezone.activate(zoneinfo.ZoneInfo(organisation.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class HtmxVaryMiddleware:
    """Pages answer an htmx request with only a part of themselves, at the same address: every
    answer says it varies on the htmx headers, so no cache hands a fragment to a full load
    (or the other way round). One rule here rather than in each view that has parts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


class PrivacyHeadersMiddleware:
    """Every answer to a logged-in person (or to an API token) is ``Cache-Control: private,
    no-store``: comments, exports and figures never stay in a shared cache, nor in the browser's
    cache for the next person at the same computer after logging out. Every answer carries the
    ``Permissions-Policy`` that switches off features the site never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def shows_secret(response):
    """Mark a response that shows a secret other than the CSRF token (a new API token, a
    webhook's signing secret, survey link addresses): it goes out uncompressed."""
    response.shows_secret = True
    return response


class GZipUnlessSecretMiddleware(GZipMiddleware):
    """Pages gzipped when the browser accepts it (48 KB of HTML measured at 7 gzipped), never a
    response marked by ``shows_secret``.

    BREACH guesses a secret in a compressed page from its size, over many requests that
    reflect the attacker's guesses beside it. The CSRF token is safe to compress: Django masks
    it afresh on every response, so no two pages carry the same bytes to guess at, and
    Django's GZipMiddleware pads each response with a random number of bytes. Other secrets
    are not masked, so their pages stay uncompressed (README, Security)."""

    def process_response(self, request, response):
        if getattr(response, "shows_secret", False):
            return response
        return super().process_response(request, response)
