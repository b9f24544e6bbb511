"""Each role lands on its own home page, and the shell shows the right navigation."""

import pytest
from django.urls import reverse

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
    from django.utils import timezone

    from feedback.ingest import store_responses

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
