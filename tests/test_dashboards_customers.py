"""A customer's data on request (GDPR): found by their reference, exported, and erased whole:
responses, interactions, answers sent, marks, stored import files and the link from an idea
(the idea stays), with the figures equal to a rebuild and an audit entry without the customer."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards.models import CommentMark, Praise, Reply
from feedback.models import ImportJob, Interaction, Invitation, InvitedCustomer, OptOut, Response
from feedback.privacy import customer_hasher
from feedback.signals import customer_erased
from followups.models import FollowUp
from ideas.models import Idea
from kpis import rollups
from organisations.models import AuditEntry
from tests.test_kpis_rollups import daily_rows, rollup_rows

CUSTOMER = "C-42"


@pytest.fixture
def customer(org, post_rows, django_capture_on_commit_callbacks):
    """C-42 and two other customers, through the API, with the figures kept current."""
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post_rows(
                "responses",
                [
                    {
                        "team": "alpha",
                        "score": 2,
                        "comment": "Slow!",
                        "customer_ref": CUSTOMER,
                        "submitted_at": "2026-02-03 10:00",
                    },
                    {
                        "team": "beta",
                        "score": 9,
                        "customer_ref": CUSTOMER,
                        "submitted_at": "2026-03-04 10:00",
                    },
                    {
                        "team": "alpha",
                        "score": 10,
                        "customer_ref": "C-7",
                        "submitted_at": "2026-02-03 11:00",
                    },
                ],
            ).status_code
            == 200
        )
        assert (
            post_rows(
                "interactions",
                [
                    {"team": "alpha", "customer_ref": CUSTOMER, "occurred_at": "2026-01-05"},
                    {"team": "alpha", "customer_ref": CUSTOMER, "occurred_at": "2026-02-03"},
                    {"team": "alpha", "customer_ref": "C-7", "occurred_at": "2026-02-03"},
                    {
                        "team": "beta",
                        "customer_ref": "C-8",
                        "occurred_at": "2026-03-04",
                        "is_error": True,
                    },
                ],
            ).status_code
            == 200
        )
    comment = Response.objects.get(comment="Slow!")
    Reply.objects.create(response=comment, author=org.lead, body="Sorry, we are on it.")
    CommentMark.objects.create(response=comment, user=org.lead, kind="read")
    idea = Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="A second counter",
        change="Open a second counter at noon",
    )
    idea.comments.add(comment)
    ImportJob.objects.create(
        organisation=org.organisation,
        kind="responses",
        filename="waiting.csv",
        content=f"team,score,customer_ref,submitted_at\nalpha,3,{CUSTOMER},2026-03-01\n".encode(),
    )
    return idea


@pytest.fixture
def invited_and_followed_up(org, customer):
    """What issue 16 and 17 keep about C-42: an invitation with its address, the throttle row,
    an opt-out, a follow-up with what was learned, and praise passed on."""
    organisation = org.organisation
    customer_hash = customer_hasher(organisation.customer_ref_secret)(CUSTOMER)
    now = timezone.now()
    Invitation.objects.create(
        organisation=organisation,
        team=org.team_a,
        customer_hash=customer_hash,
        email="c42@example.org",
        language="nl",
        status=Invitation.Status.SENT,
        expires_at=now + dt.timedelta(days=14),
        sent_at=now,
    )
    InvitedCustomer.objects.create(
        organisation=organisation, customer_hash=customer_hash, last_invited_at=now
    )
    OptOut.objects.create(organisation=organisation, customer_hash=customer_hash)
    comment = Response.objects.get(comment="Slow!")
    FollowUp.objects.create(
        organisation=organisation,
        team=org.team_a,
        response=comment,
        reached_by="external_id",
        owner=org.lead,
        due_on=now.date(),
        learned="C-42 waited an hour at the counter.",
    )
    Praise.objects.create(response=Response.objects.get(score=9), passed_by=org.lead)
    # The invitation counts into the response rate: start from figures that include it.
    rollups.rebuild(organisation)
    return customer_hash


def test_management_exports_everything_stored_about_a_customer(login, org, customer):
    response = login(org.manager).post(
        reverse("dashboards:customer_export"), {"reference": CUSTOMER}
    )
    assert response.status_code == 200
    data = json.loads(response.content)
    assert [r["comment"] for r in data["responses"]] == ["Slow!", ""]
    assert data["responses"][0]["answers_sent"][0]["answer"] == "Sorry, we are on it."
    assert data["responses"][0]["ideas"] == ["A second counter"]
    assert len(data["interactions"]) == 2
    assert data["import_files"] == ["waiting.csv"]
    assert AuditEntry.objects.get(action="customer.exported").details["counts"]["responses"] == 2


def test_erasure_removes_the_customer_and_leaves_figures_equal_to_a_rebuild(
    login, org, customer, invited_and_followed_up, django_capture_on_commit_callbacks
):
    heard = []
    customer_erased.connect(receiver := lambda **kwargs: heard.append(kwargs), weak=False)
    try:
        client = login(org.manager)
        found = client.post(reverse("dashboards:customer_data"), {"reference": CUSTOMER})
        assert found.context["data"].counts() == {
            "responses": 2,
            "interactions": 2,
            "answers sent": 1,
            "import files": 1,
            "follow-ups": 1,
            "praise passed on": 1,
            "invitations": 1,
        }
        refused = client.post(reverse("dashboards:customer_erase"), {"reference": CUSTOMER})
        assert refused.status_code == 400
        assert Response.objects.count() == 3
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("dashboards:customer_erase"), {"reference": CUSTOMER, "confirm": "on"}
            )
    finally:
        customer_erased.disconnect(receiver)

    assert Response.objects.count() == 1 and Interaction.objects.count() == 2
    assert not Reply.objects.exists() and not CommentMark.objects.exists()
    idea = Idea.objects.get(pk=customer.pk)  # the idea stays, without the link
    assert not idea.comments.exists()
    assert bytes(ImportJob.objects.get().content) == b""
    assert len(heard) == 1 and len(heard[0]["response_ids"]) == 2
    assert not FollowUp.objects.exists() and not Praise.objects.exists()
    # The invitation stays only as the response-rate figures count it; the opt-out stays so
    # that nobody asks the customer again.
    invitation = Invitation.objects.get()
    assert (invitation.customer_hash, invitation.email) == ("", "")
    assert not InvitedCustomer.objects.exists()
    assert OptOut.objects.filter(customer_hash=invited_and_followed_up).exists()

    erased = (rollup_rows(org.organisation), daily_rows(org.organisation))
    rollups.rebuild(org.organisation)
    rebuilt = (rollup_rows(org.organisation), daily_rows(org.organisation))
    assert rebuilt == erased

    entry = AuditEntry.objects.get(action="customer.erased")
    assert entry.actor_id == org.manager.pk
    assert entry.details == {
        "counts": {
            "responses": 2,
            "interactions": 2,
            "answers sent": 1,
            "import files": 1,
            "follow-ups": 1,
            "praise passed on": 1,
            "invitations": 1,
        }
    }
    stored = json.dumps([entry.subject, entry.details])
    assert CUSTOMER not in stored and "Slow" not in stored
    assert (
        client.post(reverse("dashboards:customer_data"), {"reference": CUSTOMER})
        .context["data"]
        .found
        is False
    )


def test_only_management_handles_customer_requests(login, org, customer):
    for person in (org.hr, org.lead, org.employee):
        client = login(person)
        assert (
            client.post(
                reverse("dashboards:customer_erase"), {"reference": CUSTOMER, "confirm": "on"}
            ).status_code
            == 403
        )
    assert Response.objects.count() == 3
