"""The team page's figures and targets come from a cache keyed by the organisation's rollup
version (dashboards/figure_cache.py, kpis/versions.py): a fixed number of queries however
many days the team has, a new figure right after any rollup write (a rebuild, or the worker
recomputing the days that ingest marked), and nothing of one viewer or language shown to
another."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback.models import Response
from kpis import rollups, versions
from organisations import clock
from programmes.models import GoalKind, Target
from tests.test_dashboards_pages import TEAM_PAGE_QUERIES, add_responses, htmx, team_url

pytestmark = pytest.mark.django_db(transaction=True)

# The session, the person, their organisation, the team, three role checks, the themes, the
# rollup version, the team's targets, four for the comment feed, open ideas, the members.
CACHED_TEAM_PAGE_QUERIES = 17


def nps_tile(page: str) -> str:
    return re.search(r'<h3>NPS</h3>\s*<p class="tile-value[^"]*">([^<]*)<', page).group(1)


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_team_page_query_count_is_fixed_with_one_team_day_or_many(client, org):
    client.force_login(org.lead)
    add_responses(org, org.team_a, [3, 9], comment="wait {n}", prefix="x")
    first = queries_of(client, team_url())  # rendered and cached
    assert first <= TEAM_PAGE_QUERIES
    assert queries_of(client, team_url()) == CACHED_TEAM_PAGE_QUERIES
    for days_ago in range(0, 120, 7):
        add_responses(org, org.team_a, [n % 11 for n in range(30)], days_ago=days_ago)
    assert queries_of(client, team_url()) == first  # a new rollup version: rendered again
    assert queries_of(client, team_url()) == CACHED_TEAM_PAGE_QUERIES
    with CaptureQueriesContext(connection) as queries:
        assert htmx(client, team_url(), "figures").status_code == 200
    assert len(queries) < CACHED_TEAM_PAGE_QUERIES


def test_cached_figures_change_right_after_a_rebuild(client, org):
    add_responses(org, org.team_a, [10, 10, 10])
    client.force_login(org.employee)
    assert nps_tile(client.get(team_url()).content.decode()) == "100"
    # Raw rows changed behind the rollups' back: the page keeps its cached figure ...
    Response.objects.filter(team=org.team_a).update(score=0)
    assert nps_tile(client.get(team_url()).content.decode()) == "100"
    # ... until the rollups are written, and then at once.
    rollups.rebuild(org.organisation)
    assert nps_tile(client.get(team_url()).content.decode()) == "-100"


def test_cached_figures_change_right_after_the_worker_recomputes_the_marked_days(client, org):
    add_responses(org, org.team_a, [10, 10, 10])
    client.force_login(org.employee)
    assert nps_tile(client.get(team_url()).content.decode()) == "100"
    before = versions.current(org.organisation)
    with mock.patch.object(rollups, "recompute_dirty", wraps=rollups.recompute_dirty) as worker:
        # Ingest marks the day dirty; the worker (in-process here) recomputes that day.
        add_responses(org, org.team_a, [0, 0, 0, 0, 0, 0], prefix="late")
    assert worker.called
    assert versions.current(org.organisation) != before
    assert nps_tile(client.get(team_url()).content.decode()) == "-33"


def test_a_failed_rollup_write_leaves_the_version_as_it_was(org):
    before = versions.current(org.organisation)
    failing = mock.patch.object(rollups, "_rebuild", side_effect=RuntimeError("boom"))
    with failing, pytest.raises(RuntimeError):
        rollups.rebuild(org.organisation)
    assert versions.current(org.organisation) == before
    rollups.rebuild(org.organisation)
    assert versions.current(org.organisation) != before


def test_a_changed_target_shows_at_once_though_no_rollup_was_written(client, org):
    add_responses(org, org.team_a, [10, 10, 3])
    today = clock.local_today(org.organisation)
    target = Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        period="month",
        baseline_start=clock.previous_start(clock.period_start(today, clock.MONTH), clock.MONTH),
        goal_kind=GoalKind.CHANGE,
        goal_amount=8,
        due_on=today + dt.timedelta(days=60),
        what_for="Fewer people calling twice",
    )
    client.force_login(org.employee)
    assert "Fewer people calling twice" in client.get(team_url()).content.decode()
    Target.objects.filter(pk=target.pk).update(what_for="Customers who come back")
    page = client.get(team_url()).content.decode()
    assert "Customers who come back" in page and "Fewer people calling twice" not in page


def test_cached_parts_are_never_shown_to_another_viewer_or_in_another_language(org):
    add_responses(org, org.team_a, [10, 9, 3])
    Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        period="month",
        baseline_start=clock.period_start(clock.local_today(org.organisation), clock.MONTH),
        goal_kind=GoalKind.ABSOLUTE,
        goal_amount=50,
        due_on=clock.local_today(org.organisation) + dt.timedelta(days=90),
    )
    lead = Client(headers={"accept-language": "en"})
    lead.force_login(org.lead)
    lead_page = lead.get(team_url()).content.decode()
    assert "Set a target" in lead_page and ">Edit</a>" in lead_page  # the lead manages it

    employee = Client(headers={"accept-language": "en"})
    employee.force_login(org.employee)
    page = employee.get(team_url()).content.decode()
    assert "This month" in page
    assert "Set a target" not in page and ">Edit</a>" not in page
    assert re.search(r'class="who"[^>]*>([^<]*)<', page).group(1) == str(org.employee)
    # The cached part holds nobody's name or token: it is rendered without the request.
    figures = htmx(employee, team_url(), "figures").content.decode()
    assert "csrfmiddlewaretoken" not in figures and str(org.employee) not in figures

    dutch = Client(headers={"accept-language": "nl"})
    dutch.force_login(org.employee)
    dutch_page = dutch.get(team_url()).content.decode()
    assert "Deze maand" in dutch_page and "This month" not in dutch_page
    # And the English page after the Dutch one is English still.
    assert "This month" in employee.get(team_url()).content.decode()


def test_team_page_renders_with_fresh_figures_while_redis_is_down(client, org, redis_server):
    # No worker listens on this Redis: the rollups are brought up to date here, as the
    # sweeper would.
    add_responses(org, org.team_a, [10, 10, 3])
    rollups.recompute_dirty(org.organisation)
    client.force_login(org.employee)
    assert nps_tile(client.get(team_url()).content.decode()) == "33"
    redis_server.stop()
    assert nps_tile(client.get(team_url()).content.decode()) == "33"  # from process memory
    add_responses(org, org.team_a, [0, 0, 0], prefix="down")
    rollups.recompute_dirty(org.organisation)
    assert nps_tile(client.get(team_url()).content.decode()) == "-33"
