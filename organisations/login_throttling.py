"""Throttling of password guessing beyond django-axes' lock per name and address.

Axes pauses one name from one address. This counts failed logins per address whatever the
name, so nobody can try one common password against every account; the pause always ends.
"""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django_ratelimit.core import get_usage

GROUP = "login-failures-per-address"


def _usage(request, *, increment: bool):
    return get_usage(
        request,
        group=GROUP,
        key="ip",
        rate=settings.LOGIN_FAILURES_PER_ADDRESS,
        increment=increment,
    )


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    if request is not None:
        _usage(request, increment=True)


def address_is_throttled(request) -> bool:
    usage = _usage(request, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]
