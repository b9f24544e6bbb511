"""Answers for the follow-up tests, stored through the real ingest path."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from feedback import ingest
from feedback.models import Response, Source


def answer(org, team, score, *, external_id=None, email="", source=Source.API, when=None, **extra):
    """One answer; the same ``external_id`` twice is stored once. Returns the stored row."""
    row = {
        "team_id": team.pk,
        "score": score,
        "comment": "Nobody called me back.",
        "customer_hash": "",
        "submitted_at": when or timezone.now() - dt.timedelta(minutes=5),
        "external_id": external_id,
        "contact_email": email,
        **extra,
    }
    with transaction.atomic():
        ingest.store_responses(org.organisation, [row], source=source)
    found = Response.objects.filter(organisation=org.organisation)
    if external_id:
        return found.get(external_id=external_id)
    return found.latest("pk")
