"""The site's own 404 and 500 pages with ``DEBUG`` on, as production shows them.

With ``DEBUG`` on, Django answers an unknown address or an unhandled error with its technical
page: every URL pattern or a traceback, in English. The demo runs with ``DEBUG`` on, and its
visitors (a customer who mistypes a survey address) should see what production shows, in their
own language. Set ``DEBUG_TECHNICAL_PAGES=1`` to get Django's pages back while developing.
403 needs nothing here: Django always answers it with the site's own page.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.views import defaults

logger = logging.getLogger("django.request")


class ErrorPagesInDebugMiddleware:
    """Sits just inside every middleware that prepares the request (language, user, CSP nonce),
    so the pages it renders look like any other page; off unless ``DEBUG`` is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def active() -> bool:
        return settings.DEBUG and not settings.DEBUG_TECHNICAL_PAGES

    def __call__(self, request):
        response = self.get_response(request)
        # No view matched the address: Django made its technical 404 before any view ran.
        if (
            self.active()
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return defaults.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if not self.active():
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied | BadRequest | SuspiciousOperation):
            return None  # Django answers these with the site's own pages, even in debug
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return defaults.server_error(request)
