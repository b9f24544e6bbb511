"""Personal survey invitations: links for the organisation's own system to send, the throttle
(also under concurrent requests, on PostgreSQL), opt-outs, sampling, and the personal form that
takes one answer."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from feedback import ingest, invitations
from feedback.invitations import Contact, Reason
from feedback.models import Interaction, Invitation, OptOut, Response, Sampling
from feedback.privacy import customer_hash


@pytest.fixture
def inviting(org):
    Sampling.objects.create(team=org.team_a, mode=Sampling.Mode.EVERY)
    return org


def post_contacts(post_rows, interactions):
    """Store the interactions, then ask for invitations after them."""
    stored = post_rows("interactions", interactions)
    assert stored.status_code == 200, stored.content
    return post_rows(
        "invitations",
        [
            {"team": i["team"], "customer_ref": i["customer_ref"], "external_id": i["external_id"]}
            for i in interactions
        ],
    )


def contact(n, team="alpha", ref=None):
    return {
        "team": team,
        "customer_ref": ref or f"K-{n}",
        "occurred_at": "2026-11-20 10:00",
        "external_id": f"visit-{n}",
    }


def test_the_api_answers_each_contact_with_a_personal_link(inviting, post_rows):
    answer = post_contacts(post_rows, [contact(1), contact(2)])
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["made"] == 2
    links = [entry["link"] for entry in body["invitations"]]
    assert all("/i/" in link for link in links) and len(set(links)) == 2
    stored = Invitation.objects.order_by("pk")
    assert [i.status for i in stored] == ["link", "link"]
    assert all(i.email == "" and i.interaction_id for i in stored)


def test_a_customer_is_invited_once_per_throttle_period_across_teams(inviting, post_rows):
    Sampling.objects.create(team=inviting.team_b, mode=Sampling.Mode.EVERY)
    first = post_contacts(post_rows, [contact(1, ref="K-9")]).json()["invitations"][0]
    again = post_contacts(post_rows, [contact(2, team="beta", ref="K-9")]).json()["invitations"]
    assert first["link"]
    assert again[0]["reason"] == Reason.THROTTLED and again[0]["since"]
    assert Invitation.objects.count() == 1


def test_a_throttled_customer_is_invited_again_after_the_period(inviting):
    organisation = inviting.organisation
    who = Contact(team_id=inviting.team_a.pk, customer_hash="c" * 64)
    long_ago = timezone.now() - dt.timedelta(days=91)
    assert invitations.invite(organisation, [who], by_email=False, now=long_ago)[0].invitation
    assert invitations.invite(organisation, [who], by_email=False)[0].invitation


def test_why_no_link_was_made(inviting, post_rows):
    hashed = customer_hash(inviting.organisation.customer_ref_secret, "K-2")
    OptOut.objects.create(organisation=inviting.organisation, customer_hash=hashed)
    answer = post_contacts(post_rows, [contact(1, team="beta"), contact(2)]).json()
    assert [e["reason"] for e in answer["invitations"]] == [
        Reason.TEAM_NOT_INVITING,
        Reason.OPTED_OUT,
    ]
    assert answer["made"] == 0 and not Invitation.objects.exists()


def test_bad_rows_are_named_and_nothing_is_made(inviting, post_rows, client):
    post_rows("interactions", [contact(1)])
    other = inviting.other_team
    Interaction.objects.create(
        organisation=inviting.other,
        team=other,
        occurred_at=timezone.now(),
        external_id="foreign",
        source="api",
    )
    answer = post_rows(
        "invitations",
        [
            {"team": "alpha", "customer_ref": "K-1", "external_id": "visit-1"},
            {"team": "nope", "customer_ref": "K-1", "external_id": "visit-1"},
            {"team": "alpha", "customer_ref": "K-1", "external_id": "foreign"},
            {"team": "beta", "customer_ref": "K-1", "external_id": "visit-1"},
            {"team": "alpha", "customer_ref": "", "external_id": "visit-1", "language": "de"},
        ],
    )
    assert answer.status_code == 400
    errors = {(e["index"], e["field"]) for e in answer.json()["errors"]}
    assert errors == {
        (1, "team"),
        (2, "external_id"),
        (3, "external_id"),
        (4, "customer_ref"),
        (4, "language"),
    }
    assert not Invitation.objects.exists()


def test_a_sampled_share_invites_about_that_share(inviting):
    Sampling.objects.filter(team=inviting.team_a).update(mode=Sampling.Mode.SHARE, share=25)
    contacts = [
        Contact(team_id=inviting.team_a.pk, customer_hash=f"{n:064x}", sample_key=f"i:{n}")
        for n in range(400)
    ]
    outcomes = invitations.invite(inviting.organisation, contacts, by_email=False)
    made = sum(1 for o in outcomes if o.invitation)
    assert 70 <= made <= 130
    assert {o.reason for o in outcomes if not o.invitation} == {Reason.NOT_SAMPLED}


def test_the_personal_form_stores_one_answer_even_when_opened_twice(inviting, client):
    (outcome,) = invitations.invite(
        inviting.organisation,
        [Contact(team_id=inviting.team_a.pk, customer_hash="a" * 64)],
        by_email=False,
    )
    address = f"/i/{outcome.invitation.token}/"
    assert client.get(address).status_code == 200
    second_tab = client.get(address)
    assert second_tab.status_code == 200
    first = client.post(address, {"score": "3", "comment": "Mail me at a@b.nl"})
    assert b"Thank you" in first.content
    again = client.post(address, {"score": "10"})
    assert b"answered already" in again.content
    (response,) = Response.objects.all()
    assert response.score == 3 and response.comment == "Mail me at ⟦email⟧"
    assert response.invitation_id == outcome.invitation.pk
    assert response.customer_hash == "a" * 64
    assert Invitation.objects.get().answered_at is not None


def test_an_expired_link_says_so_politely(inviting, client):
    (outcome,) = invitations.invite(
        inviting.organisation,
        [Contact(team_id=inviting.team_a.pk, customer_hash="b" * 64)],
        by_email=False,
        now=timezone.now() - dt.timedelta(days=31),
    )
    page = client.get(f"/i/{outcome.invitation.token}/")
    assert page.status_code == 410 and b"expired" in page.content
    assert client.post(f"/i/{outcome.invitation.token}/", {"score": "9"}).status_code == 410
    assert not Response.objects.exists()
    assert client.get("/i/not-a-token/").status_code == 404


def test_one_click_opt_out_forgets_the_address_and_stops_invitations(inviting, client):
    who = Contact(team_id=inviting.team_a.pk, customer_hash="d" * 64, email="d@example.org")
    (outcome,) = invitations.invite(inviting.organisation, [who], by_email=True)
    stop = f"/i/{outcome.invitation.token}/stop/"
    assert b"Stop the invitations" in client.get(stop).content
    # The mail program's one-click POST (RFC 8058): no CSRF token, no login.
    done = client.post(stop, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert OptOut.objects.filter(customer_hash="d" * 64).exists()
    assert Invitation.objects.get().email == ""
    later = timezone.now() + dt.timedelta(days=365)
    (again,) = invitations.invite(inviting.organisation, [who], by_email=True, now=later)
    assert again.reason == Reason.OPTED_OUT


def test_what_is_stored_per_customer_can_be_listed_and_erased(inviting):
    who = Contact(team_id=inviting.team_a.pk, customer_hash="e" * 64, email="e@example.org")
    invitations.invite(inviting.organisation, [who], by_email=True)
    stored = invitations.stored_for_customer(inviting.organisation, "e" * 64)
    assert stored["invitations"][0]["email"] == "e@example.org" and stored["last_invited_at"]
    invitations.erase_customer(inviting.organisation, "e" * 64)
    assert invitations.stored_for_customer(inviting.organisation, "e" * 64)["invitations"] == []


def test_interactions_with_an_address_queue_an_e_mail_in_the_customers_language(
    inviting, post_rows
):
    rows = [
        contact(1) | {"contact_email": "k1@example.org", "language": "en"},
        contact(2),
        contact(3, team="beta") | {"contact_email": "k3@example.org"},
    ]
    assert post_rows("interactions", rows).status_code == 200
    (queued,) = Invitation.objects.all()
    assert (queued.status, queued.email, queued.language) == ("queued", "k1@example.org", "en")
    assert queued.interaction.external_id == "visit-1"
    bad = post_rows("interactions", [contact(4) | {"contact_email": "not an address"}])
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "contact_email"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_customer_make_one_invitation(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    Sampling.objects.create(team=org.team_a, mode=Sampling.Mode.EVERY)
    start = threading.Barrier(6)
    outcomes, errors = [], []

    def ask(n):
        try:
            start.wait(10)
            who = Contact(team_id=org.team_a.pk, customer_hash="f" * 64, sample_key=str(n))
            outcomes.extend(invitations.invite(org.organisation, [who], by_email=False))
        except Exception as exc:  # collected and shown: a thread's failure is the test's
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sum(1 for o in outcomes if o.invitation) == 1
    assert sorted(o.reason for o in outcomes if not o.invitation) == [Reason.THROTTLED] * 5
    assert Invitation.objects.count() == 1


def test_store_invitation_answer_refuses_a_second_answer(inviting):
    (outcome,) = invitations.invite(
        inviting.organisation,
        [Contact(team_id=inviting.team_a.pk, customer_hash="9" * 64)],
        by_email=False,
    )
    kwargs = {"score": 8, "comment": "", "language": "nl"}
    assert ingest.store_invitation_answer(outcome.invitation, **kwargs)
    assert not ingest.store_invitation_answer(outcome.invitation, **kwargs)
    assert Response.objects.count() == 1


def test_management_sets_the_throttle_reminder_and_quiet_window(org, login):
    client = login(org.manager)
    data = {
        "name": "Acme",
        "time_zone": "Europe/Amsterdam",
        "min_responses": 30,
        "min_group_size": 5,
        "min_comment_group_size": 8,
        "contact_retention_days": 90,
        "idea_voting": "team",
        "invitation_throttle_days": 30,
        "invitation_reminder_days": 0,
        "quiet_from": "21:00",
        "quiet_until": "08:00",
    }
    assert client.post("/organisation/", data).status_code == 302
    org.organisation.refresh_from_db()
    assert org.organisation.invitation_throttle_days == 30
    assert org.organisation.invitation_reminder_days == 0
    night = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)  # 00:30 in Amsterdam
    assert org.organisation.in_quiet_window(night)
    assert not org.organisation.in_quiet_window(night + dt.timedelta(hours=12))
    half = client.post("/organisation/", data | {"quiet_until": ""})
    assert half.status_code == 400
