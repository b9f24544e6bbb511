"""The follow-up pages: who sees them, moving one on, handing it over, and every refusal
saying why and changing nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from followups import tasks
from followups.models import FollowUp, State
from organisations import clock
from tests.factories import UserFactory
from tests.followup_data import answer


@pytest.fixture
def followup(org):
    answer(org, org.team_a, 2, external_id="crm-1")
    answer(org, org.team_a, 1, external_id=None)  # nobody can reach this one
    tasks.open_followups(org.organisation.pk)
    return FollowUp.objects.get()


def detail(followup, step=""):
    name = f"followups:{step}" if step else "followups:detail"
    return reverse(name, args=[followup.pk])


def test_the_team_sees_its_follow_ups_and_what_to_discuss(
    org, followup, login, django_assert_max_num_queries
):
    client = login(org.employee)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("followups:list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert detail(followup) in body
    assert "To discuss in the team" in body
    assert body.count("Nobody called me back.") == 2


@pytest.mark.parametrize("who", ["employee_b", "hr", "other_manager"])
def test_people_outside_the_team_cannot_open_it(org, followup, login, who):
    client = login(getattr(org, who))
    assert client.get(detail(followup)).status_code == 404
    assert detail(followup) not in client.get(reverse("followups:list")).content.decode()


def test_the_external_reference_is_shown_to_look_the_customer_up(org, followup, login):
    page = login(org.employee).get(detail(followup))
    assert "crm-1" in page.content.decode()
    assert "Idea from this" in page.content.decode()


def test_the_owner_marks_contact_then_closes_with_what_was_learned(org, followup, login):
    client = login(org.lead)
    assert client.post(detail(followup, "contacted")).status_code == 302
    assert FollowUp.objects.get().state == State.CONTACTED
    response = client.post(
        detail(followup, "close"), {"outcome": "closed", "learned": "The courier was late."}
    )
    assert response.status_code == 302
    closed = FollowUp.objects.get()
    assert (closed.state, closed.learned, closed.closed_by) == (
        "closed",
        "The courier was late.",
        org.lead,
    )
    assert closed.closed_on_time


def test_closing_without_a_note_is_refused_and_changes_nothing(org, followup, login):
    page = login(org.lead).post(detail(followup, "close"), {"outcome": "closed", "learned": " "})
    assert page.status_code == 400
    assert "Write down what you learned" in page.content.decode()
    assert FollowUp.objects.get().state == State.OPEN


def test_a_colleague_who_does_not_own_it_cannot_close_it(org, followup, login):
    page = login(org.employee).post(
        detail(followup, "close"), {"outcome": "unreachable", "learned": "No answer."}
    )
    assert page.status_code == 400
    assert "Only the owner" in page.content.decode()
    assert FollowUp.objects.get().state == State.OPEN


def test_the_lead_hands_it_to_a_colleague_who_may_then_close_it(org, followup, login):
    page = login(org.lead).post(detail(followup, "owner"), {"owner": org.employee.pk})
    assert page.status_code == 302
    assert FollowUp.objects.get().owner == org.employee
    login(org.employee).post(
        detail(followup, "close"), {"outcome": "unreachable", "learned": "Voicemail twice."}
    )
    assert FollowUp.objects.get().state == State.UNREACHABLE


def test_it_cannot_be_handed_to_someone_outside_the_team(org, followup, login):
    page = login(org.manager).post(detail(followup, "owner"), {"owner": org.employee_b.pk})
    assert page.status_code == 400
    assert "not in this team" in page.content.decode()
    assert FollowUp.objects.get().owner == org.lead


def test_an_employee_cannot_hand_it_on(org, followup, login):
    page = login(org.employee).post(detail(followup, "owner"), {"owner": org.employee.pk})
    assert page.status_code == 403
    assert FollowUp.objects.get().owner == org.lead


def test_the_owner_sees_the_customers_address(org, login):
    answer(org, org.team_a, 0, external_id="form:9", source="form", email="klant@example.org")
    tasks.open_followups(org.organisation.pk)
    followup = FollowUp.objects.get()
    colleague = UserFactory(organisation=org.organisation, teams=[org.team_a])
    assert "klant@example.org" not in login(colleague).get(detail(followup)).content.decode()
    FollowUp.objects.update(owner=colleague)
    assert "klant@example.org" in login(colleague).get(detail(followup)).content.decode()


@pytest.mark.parametrize("who", ["lead", "manager", "employee"])
def test_each_roles_home_page_says_which_customers_wait(
    org, login, who, django_assert_max_num_queries
):
    for n in range(5):
        answer(org, org.team_a, 1, external_id=f"crm-h{n}")
    tasks.open_followups(org.organisation.pk)
    FollowUp.objects.filter(response__external_id="crm-h0").update(
        due_on=clock.local_today(org.organisation) - dt.timedelta(days=1)
    )
    FollowUp.objects.filter(response__external_id="crm-h1").update(owner=org.employee)
    client = login(getattr(org, who))
    with django_assert_max_num_queries(25):
        body = client.get(reverse("home")).content.decode()
    shown = body.count('class="comment comment-detractors"')
    # The lead: all five of the team; management: the one overdue (an escalation); the
    # employee: the one they own.
    assert shown == {"lead": 5, "manager": 1, "employee": 1}[who]
    assert ("1 overdue" in body) == (who != "employee")


def test_hr_sees_no_follow_ups_at_home(org, login, followup):
    assert "Customers waiting" not in login(org.hr).get(reverse("home")).content.decode()
