"""Dates and times on pages in the organisation's own time zone; headers that keep logged-in
pages out of caches and the browser's powerful features switched off."""

import zoneinfo

from django.conf import settings
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
