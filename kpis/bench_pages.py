"""``manage.py bench --pages``: the team page's server time beside a view of one query on the
same server (``kpis.bench_urls``), timed in turns, at several sizes of the raw tables.

Each pair times ``requests`` requests of the one-query view and then as many of the team page
as a member of the team (who sees its comment feed), as HR (the figures, targets, ideas and
members, no comments), both with the figures cached as every request after the first sees
them, and as the member with the page cache switched off; a pair's ratio is the median of the
page's requests over the median of the baseline's. Requests go through the whole middleware
stack in this process (django.test.Client, gzip accepted), so what is timed is the server's
work, without a network. Needs PostgreSQL; works in an
organisation of its own (slug ``bench-pages``) and removes its rows afterwards."""

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from kpis import benchmarks, rollups
from kpis.bench_urls import ONE_QUERY
from kpis.benchmarks import TEAMS, clear, tasks_sent_not_run
from kpis.synthetic import (
    generate_interactions,
    generate_responses,
    store_generated,
)
from organisations.models import Membership, Role, Team, User

SLUG = "bench-pages"
SCALES = (10_000, 1_000_000)


def bench_organisation():
    organisation = benchmarks.bench_organisation(SLUG, "Benchmark of pages")
    person, _ = User.objects.get_or_create(
        username="bench-pages-member",
        defaults={"organisation": organisation, "role": Role.EMPLOYEE, "first_name": "Bench"},
    )
    person.set_unusable_password()
    person.save()
    team = Team.objects.get(organisation=organisation, slug=TEAMS[0])
    Membership.objects.get_or_create(team=team, user=person)
    hr, _ = User.objects.get_or_create(
        username="bench-pages-hr",
        defaults={"organisation": organisation, "role": Role.HR, "first_name": "Bench"},
    )
    hr.set_unusable_password()
    hr.save()
    return organisation, team, person, hr


def bench_pages(scales=SCALES, *, pairs: int = 5, requests: int = 40, seed: int = 21) -> dict:
    """At each size (responses, and a tenth as many interactions), ``pairs`` pairs of
    ``requests`` requests each: {"scales": [...], "flat": team page ratio at the largest size
    over the ratio at the smallest}."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The page benchmark needs PostgreSQL (set DATABASE_URL).")
    organisation, team, person, hr = bench_organisation()
    clear(organisation)
    stored = 0
    results = []
    try:
        for scale in sorted(scales):
            load_seconds = _grow(organisation, scale - stored, seed=seed + len(results))
            stored = scale
            started = time.perf_counter()
            rollups.rebuild(organisation)
            rebuild_seconds = time.perf_counter() - started
            measured = measure(team, person, hr, pairs=pairs, requests=requests)
            results.append(
                {
                    "responses": scale,
                    "interactions": scale // 10,
                    "load_seconds": round(load_seconds, 1),
                    "rebuild_seconds": round(rebuild_seconds, 1),
                    **measured,
                }
            )
    finally:
        clear(organisation)

    def flat(name):
        if len(results) < 2:
            return None
        return round(results[-1][f"{name}_ratio"] / results[0][f"{name}_ratio"], 2)

    return {
        "pairs": pairs,
        "requests_per_side": requests,
        "target": "team page ≤ 5× the one-query view; flat (±20 %) from the smallest size",
        "scales": results,
        "flat": {name: flat(name) for name in ("team_page", "team_page_hr")},
    }


def _grow(organisation, count, *, seed) -> float:
    """Add ``count`` generated responses and a tenth as many interactions through the bulk
    ingest path (the page reads rollups, so the raw rows' kind hardly matters; interactions
    load slowly); the rollups are rebuilt after (one pass beats a worker per chunk)."""
    if count <= 0:
        return 0.0
    started = time.perf_counter()
    sizes = {"responses": count, "interactions": count // 10, "days": 365, "seed": seed}
    with tasks_sent_not_run():
        store_generated(organisation, "responses", generate_responses(organisation, **sizes))
        store_generated(organisation, "interactions", generate_interactions(organisation, **sizes))
    # Fresh statistics, as a database that has been running a while has (autovacuum analyses
    # a table within a minute of such a load): with the load's rows unseen, PostgreSQL took a
    # team of 120,000 responses for one and sorted them all for the feed's newest 20 (330 ms).
    with connection.cursor() as cursor:
        for table in ("feedback_response", "feedback_interaction", "feedback_response_themes"):
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def measure(team, person, hr, *, pairs, requests) -> dict:
    """The pairs at the present size, in turns: the one-query view; the team page as a member
    (comment feed included), cached; as HR (no comments), cached; as the member, uncached."""
    uncached = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    # As a site runs: DEBUG off (no query log); the templates and static files stay as set up.
    site = {"ROOT_URLCONF": "kpis.bench_urls", "ALLOWED_HOSTS": ["testserver"], "DEBUG": False}
    with override_settings(**site):
        member = _client(person)
        hr_client = _client(hr)
        one = "/" + ONE_QUERY
        page = reverse("dashboards:team_detail", args=[team.slug])
        queries = {
            "one_query_view": _queries(member, one),
            "team_page": _queries(member, page),
            "team_page_hr": _queries(hr_client, page),
        }
        rows = []
        for _pair in range(pairs):
            base = _timed(member, one, requests)
            cached = _timed(member, page, requests)
            without_comments = _timed(hr_client, page, requests)
            with override_settings(CACHES=_caches_with(pages=uncached)):
                cold = _timed(member, page, requests)
            rows.append((base, cached, without_comments, cold))
        with override_settings(CACHES=_caches_with(pages=uncached)):
            queries["team_page_uncached"] = _queries(member, page)
    columns = list(zip(*rows, strict=True))

    def ratio(column):
        ratios = [row[column] / row[0] for row in rows]
        return round(statistics.median(ratios), 2), [round(min(ratios), 2), round(max(ratios), 2)]

    result = {"queries": queries, "one_query_ms": _ms(statistics.median(columns[0]))}
    for column, name in enumerate(("team_page", "team_page_hr", "team_page_uncached"), start=1):
        result[f"{name}_ms"] = _ms(statistics.median(columns[column]))
        result[f"{name}_ratio"], result[f"{name}_ratio_spread"] = ratio(column)
    result["pairs_ms"] = [[_ms(value) for value in row] for row in rows]
    return result


def _client(person):
    client = Client(headers={"accept-encoding": "gzip", "accept-language": "en"})
    client.force_login(person)
    return client


def _caches_with(**replaced) -> dict:
    return {**settings.CACHES, **replaced}


def _timed(client, url, requests) -> float:
    """The median seconds of ``requests`` requests, after one untimed (warm caches)."""
    _get(client, url)
    seconds = []
    for _ in range(requests):
        started = time.perf_counter()
        _get(client, url)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _get(client, url):
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


def _queries(client, url) -> int:
    _get(client, url)
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return len(queries)


def _ms(seconds) -> float:
    return round(seconds * 1000, 2)
