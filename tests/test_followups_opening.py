"""A detractor who can be reached gets exactly one follow-up, owned by the team's lead and due
within the organisation's promise in working days; others are only flagged for discussion."""

import datetime as dt

import pytest

from feedback import ingest, invitations
from feedback.invitations import Contact
from feedback.models import Sampling, Source
from followups import opening, privacy, tasks
from followups.models import FollowUp, State
from followups.ownership import hand_back_to_lead
from organisations import clock
from organisations.signals import person_left
from tests.factories import UserFactory
from tests.followup_data import answer


def test_due_date_skips_the_weekend():
    friday = dt.date(2026, 3, 6)
    assert clock.add_working_days(friday, 2, "NL") == dt.date(2026, 3, 10)  # Tuesday


def test_due_date_skips_a_dutch_public_holiday():
    # Friday 24 April 2026; Monday 27 April is King's Day.
    assert clock.add_working_days(dt.date(2026, 4, 24), 2, "NL") == dt.date(2026, 4, 29)
    # Christmas (Friday 25, Saturday 26 December) across the year's end.
    assert clock.add_working_days(dt.date(2026, 12, 24), 2, "NL") == dt.date(2026, 12, 29)


def test_due_date_follows_the_organisations_country():
    # 27 April is no holiday in Belgium.
    assert clock.add_working_days(dt.date(2026, 4, 24), 2, "BE") == dt.date(2026, 4, 28)


def test_an_answer_given_on_a_saturday_is_due_on_tuesday():
    assert clock.add_working_days(dt.date(2026, 3, 7), 2, "NL") == dt.date(2026, 3, 10)


def test_an_answer_through_the_api_with_an_id_opens_one_follow_up_however_often(org):
    answer(org, org.team_a, 3, external_id="crm-1")
    answer(org, org.team_a, 3, external_id="crm-1")  # sent twice: stored once
    assert tasks.open_followups(org.organisation.pk) == 1
    assert tasks.open_followups(org.organisation.pk) == 0  # the task ran twice
    followup = FollowUp.objects.get()
    assert followup.team == org.team_a
    assert followup.owner == org.lead
    assert followup.reached_by == "external_id"
    assert followup.state == State.OPEN
    start = followup.response.local_day
    assert followup.due_on == clock.add_working_days(start, 2, "NL")


def test_a_customer_who_left_an_address_is_reached_by_e_mail(org):
    answer(org, org.team_a, 0, external_id="form:1", source=Source.FORM, email="c@example.org")
    tasks.open_followups(org.organisation.pk)
    assert FollowUp.objects.get().reached_by == "email"


@pytest.mark.parametrize(
    "details",
    [
        {"external_id": None},  # the API without an id: nobody can look the customer up
        {"external_id": "form:2", "source": Source.FORM},  # the form without an address
        {"external_id": "imp-1", "source": Source.IMPORT},
    ],
)
def test_an_unreachable_detractor_opens_none_and_is_flagged_for_discussion(org, details):
    response = answer(org, org.team_a, 2, **details)
    tasks.open_followups(org.organisation.pk)
    tasks.open_followups(org.organisation.pk)
    assert not FollowUp.objects.exists()
    assert list(opening.to_discuss(org.organisation)) == [response]


@pytest.mark.parametrize("score", [7, 8, 10, None])
def test_passives_promoters_and_comments_only_open_none(org, score):
    answer(org, org.team_a, score, external_id="crm-x")
    tasks.open_followups(org.organisation.pk)
    assert not FollowUp.objects.exists()


def test_old_answers_imported_now_are_history_not_follow_ups(org):
    long_ago = dt.datetime(2025, 1, 6, 10, tzinfo=dt.UTC)
    answer(org, org.team_a, 1, external_id="crm-old", when=long_ago)
    assert tasks.open_followups(org.organisation.pk) == 0


def test_a_team_without_a_lead_gets_an_unowned_follow_up(org):
    answer(org, org.team_b, 4, external_id="crm-b")
    tasks.open_followups(org.organisation.pk)
    assert FollowUp.objects.get().owner is None


def test_the_promise_is_the_organisations_setting(org):
    org.organisation.followup_working_days = 5
    org.organisation.save()
    response = answer(org, org.team_a, 4, external_id="crm-5")
    tasks.open_followups(org.organisation.pk)
    assert FollowUp.objects.get().due_on == clock.add_working_days(response.local_day, 5, "NL")


@pytest.mark.django_db(transaction=True)
def test_storing_a_detractor_answer_opens_its_follow_up_once_committed(org):
    answer(org, org.team_a, 1, external_id="crm-live")
    assert FollowUp.objects.filter(response__external_id="crm-live").count() == 1


def test_a_leaver_gives_their_open_follow_ups_back_to_the_lead(org):
    colleague = UserFactory(organisation=org.organisation, teams=[org.team_a])
    answer(org, org.team_a, 1, external_id="crm-l")
    tasks.open_followups(org.organisation.pk)
    FollowUp.objects.update(owner=colleague)
    assert hand_back_to_lead(colleague) == 1
    assert FollowUp.objects.get().owner == org.lead


def test_what_follow_ups_keep_of_a_customer_can_be_found_and_erased(org):
    response = answer(org, org.team_a, 1, external_id="crm-p", customer_hash="abc123")
    tasks.open_followups(org.organisation.pk)
    FollowUp.objects.update(learned="Mrs Jansen wants a call at noon.")
    assert list(privacy.stored_for(org.organisation, "abc123")) == [FollowUp.objects.get()]
    assert privacy.erase(org.organisation, [response.pk]) == 1
    assert FollowUp.objects.get().learned == ""


def test_an_unhappy_answer_through_a_personal_invitation_opens_a_follow_up(org):
    Sampling.objects.create(team=org.team_a, mode=Sampling.Mode.EVERY)
    (outcome,) = invitations.invite(
        org.organisation,
        [Contact(team_id=org.team_a.pk, customer_hash="7" * 64)],
        by_email=False,
    )
    for _ in range(2):  # a second tab: stored once
        ingest.store_invitation_answer(outcome.invitation, score=4, comment="", language="nl")
    tasks.open_followups(org.organisation.pk)
    tasks.open_followups(org.organisation.pk)
    assert FollowUp.objects.get().reached_by == "invitation"


def test_the_leaver_signal_of_people_management_hands_follow_ups_back(org):
    colleague = UserFactory(organisation=org.organisation, teams=[org.team_a])
    answer(org, org.team_a, 1, external_id="crm-s")
    tasks.open_followups(org.organisation.pk)
    FollowUp.objects.update(owner=colleague)
    person_left.send(sender=type(colleague), person=colleague)
    assert FollowUp.objects.get().owner == org.lead
