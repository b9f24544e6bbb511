"""The weekly digest's opt-out: one click in the e-mail, without logging in."""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dashboards.digest import DIGEST_LINK_MAX_AGE, DIGEST_SALT
from organisations.models import User


@require_http_methods(["GET", "HEAD", "POST"])
def digest_opt_out(request, token):
    """The link in every digest: one click (and a confirming POST) stops it, without logging in.

    The link expires (a forwarded or leaked e-mail does not control the digest for ever), and
    the page shows no address: whoever holds the link learns nothing about the person."""
    try:
        user_pk = signing.loads(token, salt=DIGEST_SALT, max_age=DIGEST_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return render(request, "dashboards/digest_opt_out.html", {"expired": True}, status=410)
    except signing.BadSignature:
        raise Http404 from None
    person = User.objects.filter(pk=user_pk, is_active=True).first()
    if person is None:
        raise Http404
    if request.method == "POST":
        person.weekly_digest = request.POST.get("subscribe") == "1"
        person.save(update_fields=["weekly_digest"])
    return render(request, "dashboards/digest_opt_out.html", {"person": person, "token": token})
