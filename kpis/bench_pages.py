"""``manage.py bench --pages``: the team page's server time beside a view of one query on the
same server (``kpis.bench_urls``), timed in turns, at several sizes of the raw tables.

Each pair times ``requests`` requests of the one-query view and then as many of the team page
(its figures cached, as every request after the first sees them), and, for comparison, as many
with the page cache switched off; a pair's ratio is the median of the page's requests over the
median of the baseline's. Requests go through the whole middleware stack in this process
(django.test.Client, gzip accepted, as a member of the team, who sees its comment feed), so
what is timed is the server's work, without a network. Needs PostgreSQL; works in an
organisation of its own (slug ``bench-pages``) and removes its rows afterwards."""

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from kpis import rollups
from kpis.bench_urls import ONE_QUERY
from kpis.benchmarks import TEAMS, clear, tasks_sent_not_run
from kpis.synthetic import (
    add_demo_themes,
    generate_interactions,
    generate_responses,
    store_generated,
)
from organisations.models import Membership, Organisation, Role, Team, User

SLUG = "bench-pages"
SCALES = (10_000, 1_000_000)


def bench_organisation():
    organisation, _ = Organisation.objects.get_or_create(
        slug=SLUG, defaults={"name": "Benchmark of pages"}
    )
    for slug in TEAMS:
        Team.objects.get_or_create(organisation=organisation, slug=slug, defaults={"name": slug})
    add_demo_themes(organisation)
    person, _ = User.objects.get_or_create(
        username="bench-pages-member",
        defaults={"organisation": organisation, "role": Role.EMPLOYEE, "first_name": "Bench"},
    )
    person.set_unusable_password()
    person.save()
    team = Team.objects.get(organisation=organisation, slug=TEAMS[0])
    Membership.objects.get_or_create(team=team, user=person)
    return organisation, team, person


def bench_pages(scales=SCALES, *, pairs: int = 5, requests: int = 40, seed: int = 21) -> dict:
    """At each size (responses, with as many interactions), ``pairs`` pairs of
    ``requests`` requests each: {"scales": [...], "flat": team page ratio at the largest size
    over the ratio at the smallest}."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The page benchmark needs PostgreSQL (set DATABASE_URL).")
    organisation, team, person = bench_organisation()
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
            measured = measure(team, person, pairs=pairs, requests=requests)
            results.append(
                {
                    "responses": scale,
                    "interactions": scale,
                    "load_seconds": round(load_seconds, 1),
                    "rebuild_seconds": round(rebuild_seconds, 1),
                    **measured,
                }
            )
    finally:
        clear(organisation)
    flat = results[-1]["ratio"] / results[0]["ratio"] if len(results) > 1 else None
    return {
        "pairs": pairs,
        "requests_per_side": requests,
        "target": "team page ≤ 5× the one-query view; flat (±20 %) from the smallest size",
        "scales": results,
        "flat": None if flat is None else round(flat, 2),
    }


def _grow(organisation, count, *, seed) -> float:
    """Add ``count`` generated responses and as many interactions through the bulk ingest
    path; the rollups are rebuilt after (one pass beats a worker per chunk)."""
    if count <= 0:
        return 0.0
    started = time.perf_counter()
    sizes = {"responses": count, "interactions": count, "days": 365, "seed": seed}
    with tasks_sent_not_run():
        store_generated(organisation, "responses", generate_responses(organisation, **sizes))
        store_generated(organisation, "interactions", generate_interactions(organisation, **sizes))
    return time.perf_counter() - started


def measure(team, person, *, pairs, requests) -> dict:
    """The pairs at the present size: baseline, cached page, uncached page, in turns."""
    uncached = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    with override_settings(ROOT_URLCONF="kpis.bench_urls", ALLOWED_HOSTS=["testserver"]):
        client = Client(headers={"accept-encoding": "gzip", "accept-language": "en"})
        client.force_login(person)
        one = "/" + ONE_QUERY
        page = reverse("dashboards:team_detail", args=[team.slug])
        queries = {"one_query_view": _queries(client, one), "team_page": _queries(client, page)}
        rows = []
        for _pair in range(pairs):
            base = _timed(client, one, requests)
            cached = _timed(client, page, requests)
            with override_settings(CACHES=_caches_with(pages=uncached)):
                cold = _timed(client, page, requests)
            rows.append((base, cached, cold))
        with override_settings(CACHES=_caches_with(pages=uncached)):
            queries["team_page_uncached"] = _queries(client, page)
    ratios = [cached / base for base, cached, _cold in rows]
    cold_ratios = [cold / base for base, _cached, cold in rows]
    return {
        "queries": queries,
        "one_query_ms": _ms(statistics.median(base for base, _c, _u in rows)),
        "team_page_ms": _ms(statistics.median(cached for _b, cached, _u in rows)),
        "team_page_uncached_ms": _ms(statistics.median(cold for _b, _c, cold in rows)),
        "ratio": round(statistics.median(ratios), 2),
        "ratio_spread": [round(min(ratios), 2), round(max(ratios), 2)],
        "uncached_ratio": round(statistics.median(cold_ratios), 2),
        "uncached_ratio_spread": [round(min(cold_ratios), 2), round(max(cold_ratios), 2)],
        "pairs_ms": [[_ms(value) for value in row] for row in rows],
    }


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
