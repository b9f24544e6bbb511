"""Each role lands on its own home page, and the shell shows the right navigation."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from alignment.models import AlignmentSurvey, Participant
from dashboards import needs_me
from dashboards.models import CommentMark, MarkKind
from feedback.ingest import store_responses
from feedback.models import Response
from ideas.models import Idea
from kpis.models import Rollup
from organisations import clock
from programmes.models import GoalKind, Target
from tests.alignment_data import open_survey
from tests.factories import TeamFactory, UserFactory
from tests.test_dashboards_pages import TEAM_PAGE_QUERIES


@pytest.mark.parametrize(
    ("role", "heading"),
    [
        ("manager", "Acme"),
        ("hr", "You look after people and teams"),
        ("lead", "As team lead you set your team’s targets"),
        ("employee", "What customers tell Acme is shared with the team that served them"),
    ],
)
def test_each_role_reaches_its_home_page(client, org, role, heading):
    client.force_login(getattr(org, role))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert heading in response.content.decode()


def test_employee_home_shows_own_team_and_colleagues_only(client, org):
    client.force_login(org.employee)
    page = client.get(reverse("home")).content.decode()
    assert "Alpha" in page
    assert org.lead.get_full_name() in page
    assert org.employee_b.get_full_name() not in page
    assert reverse("organisations:people") not in page  # no People link for employees


def test_management_home_names_teams_without_a_lead(client, org):
    client.force_login(org.manager)
    page = client.get(reverse("home")).content.decode()
    assert "Teams without a team lead" in page
    assert "Beta" in page and "Gamma" in page


def test_person_without_organisation_is_told_so(client, db):
    admin = UserFactory(organisation=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert "You are not part of an organisation" in response.content.decode()
    assert client.get(reverse("dashboards:board")).status_code == 403


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_name", ["home", "dashboards:board", "organisations:people"])
def test_pages_use_the_same_number_of_queries_with_more_teams(
    client, org, url_name, django_assert_max_num_queries
):
    client.force_login(org.manager)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        client.get(reverse(url_name))
    for _ in range(20):
        team = TeamFactory(organisation=org.organisation)
        UserFactory(organisation=org.organisation, teams=[team])
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(reverse(url_name)).status_code == 200


def test_team_page_query_count_does_not_grow_with_members(
    client, org, django_assert_max_num_queries
):
    for _ in range(15):
        UserFactory(organisation=org.organisation, teams=[org.team_a])
    client.force_login(org.employee)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(reverse("dashboards:team_detail", args=["alpha"])).status_code == 200


def test_management_sets_the_retention_of_contact_emails_and_other_settings(client, org):
    client.force_login(org.manager)
    data = {
        "name": "Acme",
        "time_zone": "Europe/Brussels",
        "min_responses": 40,
        "min_group_size": 6,
        "contact_retention_days": 30,
    }
    assert client.post(reverse("organisations:organisation_settings"), data).status_code == 302
    org.organisation.refresh_from_db()
    assert (org.organisation.contact_retention_days, org.organisation.time_zone) == (
        30,
        "Europe/Brussels",
    )
    bad = client.post(
        reverse("organisations:organisation_settings"),
        data | {"contact_retention_days": 0, "time_zone": "Mars/Olympus"},
    )
    assert bad.status_code == 400
    org.organisation.refresh_from_db()
    assert org.organisation.contact_retention_days == 30


def test_team_page_shows_this_months_figures_from_the_rollups(
    client, org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):

    now = timezone.now()
    rows = [
        {
            "team_id": org.team_a.pk,
            "score": score,
            "comment": "",
            "customer_hash": "",
            "submitted_at": now,
            "external_id": None,
        }
        for score in (10, 10, 9, 3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        store_responses(org.organisation, rows, source="api")
    client.force_login(org.employee)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        page = client.get(reverse("dashboards:team_detail", args=["alpha"])).content.decode()
    assert "This month" in page
    assert "4 scores" in page and "too few to go by" in page
    assert '<p class="tile-value">50</p>' in page  # (3 − 1) / 4 = 50


def test_team_page_without_feedback_says_so(client, org):
    client.force_login(org.employee)
    page = client.get(reverse("dashboards:team_detail", args=["alpha"])).content.decode()
    assert "No scores yet in this period." in page


# --- What needs me, role by role ---------------------------------------------------------------

HOME_QUERIES = 20


def _responses(org, team, scores, *, days_ago=0, prefix="h"):

    moment = timezone.now() - dt.timedelta(days=days_ago)
    rows = [
        {
            "team_id": team.pk,
            "score": score,
            "comment": f"Comment {n}",
            "customer_hash": "",
            "submitted_at": moment - dt.timedelta(seconds=n),
            "external_id": f"{prefix}-{team.pk}-{days_ago}-{n}",
        }
        for n, score in enumerate(scores)
    ]
    store_responses(org.organisation, rows, source="api")


def _idea(org, team, proposer, status="proposed", title="An idea"):

    return Idea.objects.create(
        organisation=org.organisation,
        team=team,
        proposer=proposer,
        title=title,
        change="Do it differently",
        status=status,
    )


def _home(client, user, bound=HOME_QUERIES, assert_max=None):
    client.force_login(user)
    with assert_max(bound):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_employee_sees_the_teams_figures_this_month_and_the_comments_not_yet_read(
    client, org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):

    with django_capture_on_commit_callbacks(execute=True):
        _responses(org, org.team_a, [10, 10, 9, 3])
        _responses(org, org.team_a, [2, 2], days_ago=45, prefix="old")  # history, not waiting
        _responses(org, org.team_b, [5])  # another team's
    newest, second = Response.objects.filter(team=org.team_a).order_by("-submitted_at")[:2]
    CommentMark.objects.create(response=newest, user=org.employee, kind=MarkKind.READ)
    CommentMark.objects.create(response=second, user=org.lead, kind=MarkKind.READ)  # not hers
    page = _home(client, org.employee, assert_max=django_assert_max_num_queries)
    unread = page.split('id="unread-comments"', 1)[1].split("</section>", 1)[0]
    assert "the last 30 days that you have not marked as read" in unread
    assert "3 unread comments on Alpha" in unread
    assert reverse("dashboards:team_detail", args=["alpha"]) + "?unread=1" in unread
    assert "Beta" not in unread
    figures = page.split('id="teams-this-month"', 1)[1].split("</section>", 1)[0]
    assert "Your team this month" in figures
    assert "<dd>50</dd>" in figures  # (3 promoters − 1 detractor) / 4 scores
    assert "4 scores" in figures and "too few to go by" in figures


def test_employee_who_read_everything_is_told_so(client, org, django_assert_max_num_queries):
    page = _home(client, org.employee, assert_max=django_assert_max_num_queries)
    assert "You have read them all." in page
    assert "Ideas waiting for your decision" not in page


def _at_risk_target(org, team):
    """NPS from 20 to 28, set two months ago and still 20 last month: behind by now."""
    this_month = clock.period_start(clock.local_today(org.organisation), clock.MONTH)
    last_month = clock.previous_start(this_month, clock.MONTH)
    baseline = clock.previous_start(clock.previous_start(last_month, clock.MONTH), clock.MONTH)
    for start in (baseline, last_month):
        Rollup.objects.create(
            organisation=org.organisation,
            team=team,
            kind=clock.MONTH,
            period_start=start,
            responses=100,
            promoters=40,
            passives=40,
            detractors=20,
        )
    target = Target.objects.create(
        organisation=org.organisation,
        team=team,
        metric="nps",
        period="month",
        baseline_start=baseline,
        goal_kind=GoalKind.CHANGE,
        goal_amount=8,
        due_on=this_month + dt.timedelta(days=60),
    )
    # Set when the baseline month ended: two months in, it should have moved by now.
    set_on = clock.next_start(baseline, clock.MONTH)
    Target.objects.filter(pk=target.pk).update(
        created_at=dt.datetime.combine(set_on, dt.time(12), tzinfo=dt.UTC)
    )
    return target


def test_lead_sees_ideas_to_decide_and_targets_at_risk_of_their_team_only(
    client, org, django_assert_max_num_queries
):
    waiting = _idea(org, org.team_a, org.employee, title="Call back within a day")
    _idea(org, org.team_a, org.lead, title="My own idea")  # nobody decides on their own
    _idea(org, org.team_a, org.employee, status="accepted", title="Already accepted")
    _idea(org, org.team_b, org.employee_b, title="Beta's idea")  # not their team
    target = _at_risk_target(org, org.team_a)
    _at_risk_target(org, org.team_b)
    page = _home(client, org.lead, assert_max=django_assert_max_num_queries)
    ideas = page.split('id="ideas-to-decide"', 1)[1].split("</section>", 1)[0]
    assert "Call back within a day" in ideas
    assert reverse("ideas:detail", args=[waiting.pk]) in ideas
    for other in ("My own idea", "Already accepted", "Beta&#x27;s idea"):
        assert other not in ideas
    risk = page.split('id="targets-at-risk"', 1)[1].split("</section>", 1)[0]
    assert f"#target-{target.pk}" in risk and "At risk" in risk
    assert "Beta" not in risk
    assert "Comments you have not read" in page  # a lead is an employee too


def test_management_sees_the_organisations_figures_and_every_undecided_idea(
    client, org, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        _responses(org, org.team_a, [10, 10, 9, 3])
        _responses(org, org.team_b, [0, 0, 0, 0])
    _idea(org, org.team_a, org.employee, title="Alpha idea")
    _idea(org, org.team_b, org.employee_b, title="Beta idea")
    page = _home(client, org.manager, assert_max=django_assert_max_num_queries)
    figures = page.split('id="organisation-this-month"', 1)[1].split("</section>", 1)[0]
    assert "<dd>-25</dd>" in figures and "8 scores" in figures  # (3 − 5) / 8
    ideas = page.split('id="ideas-to-decide"', 1)[1].split("</section>", 1)[0]
    assert "Alpha idea" in ideas and "Beta idea" in ideas
    assert "Comments you have not read" not in page


def test_hr_sees_open_and_recent_surveys_with_their_response_only(
    client, org, django_assert_max_num_queries
):
    current = open_survey(org.organisation, [org.team_c], title="Autumn round")  # nobody in it
    for n in range(5):
        person = UserFactory(organisation=org.organisation, teams=[org.team_c])
        Participant.objects.create(survey=current, person=person, has_answered=n < 3)
    recent = open_survey(org.organisation, title="Summer round", days_ago=60)
    old = open_survey(org.organisation, title="Last year's round", days_ago=400)
    today = timezone.localdate()
    for survey, days in ((recent, 30), (old, 300)):
        survey.closes_on, survey.closes_at = today - dt.timedelta(days=days), None
        survey.save()  # its closing instant follows the day
    early = open_survey(org.organisation, title="Stopped round", days_ago=20)
    AlignmentSurvey.objects.filter(pk=early.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=5)
    )
    page = _home(client, org.hr, assert_max=django_assert_max_num_queries)
    surveys = page.split('id="alignment-surveys"', 1)[1].split("</section>", 1)[0]
    assert "3 of 5 people asked have answered (60%)" in surveys
    assert reverse("alignment:survey", args=[current.pk]) in surveys
    closed_on = formats.date_format(today - dt.timedelta(days=30), "j F")
    assert (
        "Summer round" in surveys and f'closed</span> <span class="muted">on {closed_on}' in surveys
    )
    assert "Last year" not in surveys
    # Open ones first, then the closed ones, the last closed first; one closed early counts
    # from the day it was closed.
    order = [surveys.index(title) for title in ("Autumn", "Stopped", "Summer")]
    assert order == sorted(order)
    assert "Alpha" not in surveys  # the whole survey's response, never a team's
    assert "Customers waiting" not in page and "Ideas waiting" not in page


@pytest.mark.parametrize("role", ["employee", "lead", "manager", "hr"])
def test_each_home_page_costs_the_same_queries_with_more_teams_ideas_and_surveys(client, org, role):
    user = getattr(org, role)
    client.force_login(user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    def add_team_with_an_idea_a_target_and_a_survey(n):
        team = TeamFactory(organisation=org.organisation)
        user.memberships.create(team=team, is_lead=role == "lead")
        _idea(org, team, org.employee_b, title=f"Idea {n}")
        _at_risk_target(org, team)
        open_survey(org.organisation, [team], title=f"Round {n}")

    for n in range(needs_me.IDEAS_SHOWN + 1):  # one more than shown: the total is counted
        add_team_with_an_idea_a_target_and_a_survey(n)
    before = queries()
    for n in range(10, 20):
        add_team_with_an_idea_a_target_and_a_survey(n)
    assert queries() == before <= HOME_QUERIES
