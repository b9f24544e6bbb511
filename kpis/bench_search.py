"""``manage.py bench --search N``: the comment feed's search and filters with 10,000 comments
and with N, timed in turns in the same run (DESIGN.md, Performance; issue 20).

Two organisations of the same shape — ten teams, half the responses with a comment drawn from
the generator's comments — one with ``small`` responses and one with ``rows``, in one table.
The feed is requested by URL, as the search box asks for it (htmx, ``#feed`` only), by a
manager of each, alternately: a rare word, a common word's first page, a rare theme with a
category, and the feed without filters. Each pair gives a ratio large/small; flat is a median
within ±20 %.
For comparison the old search, a substring scan, is timed as a query in the same way.

The rows are written by SQL (``generate_series``), not through ingest: ingest has its own
benchmark, and a million rows load here in a minute. The rare word is in RARE_COUNT comments of one
team at either size, so both pages show as many comments (a word's cost grows with its matches,
not with the comments around it); the rare theme on RARE_THEME_COUNT comments of another.
A timing is the server's whole answer (most of it drawing the comments); ``sql_ms`` says how
much of it the database took. Needs PostgreSQL; removes what it made unless ``keep``.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from feedback.models import Response, Theme
from kpis.benchmarks import clear
from kpis.synthetic import COMMENTS, add_demo_themes
from organisations.models import Organisation, Role, Team

TEAMS = 10
RARE_WORD = "zonnebloem"
RARE_COMMENT = "De zonnebloemen bij de ingang stonden er prachtig bij."
RARE_COUNT = 5  # comments with the rare word, spread over the year, all in team 08
RARE_THEME_COUNT = 40  # comments of team 04 on the rare theme, about 25 of them detractors
COMMON_WORD = "pakket"  # in two of the generator's nineteen comments
TEMPLATES = [text for texts in COMMENTS.values() for _language, text in texts]
REQUESTS = 3  # a timing is the best of this many requests in a row

LOAD = """
INSERT INTO feedback_response (organisation_id, team_id, score, comment, customer_hash,
    submitted_at, local_day, source, language, contact_email, created_at)
SELECT %(org)s, (%(teams)s::bigint[])[1 + g %% 10], (g * 7) %% 11,
    CASE WHEN g %% 2 = 1 THEN ''
         WHEN g %% %(rare_every)s = 8 AND g <= %(rare_last)s THEN %(rare)s
         ELSE (%(templates)s::text[])[1 + (g / 2 * 13) %% %(count)s] END,
    '', moment, (moment AT TIME ZONE 'Europe/Amsterdam')::date, 'generated', '', '', now()
FROM (SELECT g, now() - make_interval(secs => (g::bigint * 7919) %% 31536000) AS moment
      FROM generate_series(%(first)s, %(last)s) AS g) AS numbered
"""
LINK_THEME = """
INSERT INTO feedback_response_themes (response_id, theme_id)
SELECT id, %(theme)s FROM feedback_response
WHERE organisation_id = %(org)s AND team_id = %(team)s AND comment <> ''
ORDER BY md5(id::text) LIMIT %(count)s
"""


def _organisation(slug, rows):
    organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": slug})
    teams = [
        Team.objects.get_or_create(
            organisation=organisation, slug=f"team-{n:02}", defaults={"name": f"Team {n:02}"}
        )[0]
        for n in range(TEAMS)
    ]
    add_demo_themes(organisation)
    rare_theme, _ = Theme.objects.get_or_create(
        organisation=organisation, name="Parkeren", defaults={"keywords": "parkeerplaats"}
    )
    manager, _ = get_user_model().objects.get_or_create(
        username=f"{slug}-manager",
        defaults={"organisation": organisation, "role": Role.MANAGEMENT},
    )
    if Response.objects.filter(organisation=organisation).count() != rows:
        clear(organisation)
        _load(organisation, teams, rows)
    rare_theme.responses.clear()
    with connection.cursor() as cursor:
        cursor.execute(
            LINK_THEME,
            {
                "theme": rare_theme.pk,
                "org": organisation.pk,
                "team": teams[4].pk,
                "count": RARE_THEME_COUNT,
            },
        )
        cursor.execute("ANALYZE feedback_response_themes")
    return organisation, teams, rare_theme, manager


def _load(organisation, teams, rows, chunk=250_000):
    params = {
        "org": organisation.pk,
        "teams": [team.pk for team in teams],
        "rare_every": rows // RARE_COUNT // 10 * 10,
        "rare_last": rows // RARE_COUNT // 10 * 10 * (RARE_COUNT - 1) + 8,
        "rare": RARE_COMMENT,
        "templates": TEMPLATES,
        "count": len(TEMPLATES),
    }
    with connection.cursor() as cursor:
        for first in range(1, rows + 1, chunk):
            last = min(first + chunk - 1, rows)
            cursor.execute(LOAD, params | {"first": first, "last": last})
        # What autovacuum does soon after a load this size: statistics, and the search index's
        # pending list merged (until then every search reads that list through).
        command = "VACUUM ANALYZE" if connection.get_autocommit() else "ANALYZE"
        cursor.execute(f"{command} feedback_response")


class _SQLTime:
    """Adds up the time spent in the database (``connection.execute_wrapper``)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def _feed_seconds(client, url) -> tuple[float, float]:
    """The best of REQUESTS answers: (seconds, of which in SQL)."""
    best = None
    for _ in range(REQUESTS):
        sql = _SQLTime()
        with connection.execute_wrapper(sql):
            started = time.perf_counter()
            answer = client.get(
                url, headers={"hx-request": "true", "hx-target": "feed"}, secure=True
            )
            seconds = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered {answer.status_code}")
        if best is None or seconds < best[0]:
            best = (seconds, sql.seconds)
    return best


def _old_search_seconds(team, manager) -> tuple[float, float]:
    """The search before issue 20, as a query: a substring scan through the team's comments."""
    best = None
    for _ in range(REQUESTS):
        started = time.perf_counter()
        list(
            Response.objects.comments_visible_to(manager)
            .filter(team=team, comment__icontains=RARE_WORD)
            .order_by("-submitted_at", "-pk")[:21]
        )
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return best, best


def _ms(seconds) -> float:
    return round(seconds * 1000, 2)


def _summary(pairs) -> dict:
    """``pairs``: ((small seconds, small SQL), (large seconds, large SQL)) per turn."""
    ratios = [large[0] / small[0] for small, large in pairs]
    return {
        "small_ms": _ms(statistics.median(small[0] for small, _ in pairs)),
        "large_ms": _ms(statistics.median(large[0] for _, large in pairs)),
        "small_sql_ms": _ms(statistics.median(small[1] for small, _ in pairs)),
        "large_sql_ms": _ms(statistics.median(large[1] for _, large in pairs)),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_spread": [round(min(ratios), 3), round(max(ratios), 3)],
        "pairs_ms": [[_ms(small[0]), _ms(large[0])] for small, large in pairs],
    }


def bench_search(rows: int = 1_000_000, small: int = 10_000, pairs: int = 7, keep=False) -> dict:
    if connection.vendor != "postgresql":
        raise RuntimeError("the search benchmark needs PostgreSQL (full-text search)")
    started = time.perf_counter()
    sides = {
        "small": _organisation("bench-search-small", small),
        "large": _organisation("bench-search-large", rows),
    }
    load_seconds = time.perf_counter() - started
    clients, urls, old = {}, {}, {}
    for side, (_org, teams, rare_theme, manager) in sides.items():
        clients[side] = Client()
        clients[side].force_login(manager)

        def page(team, **params):
            query = "&".join(f"{key}={value}" for key, value in params.items())
            return reverse("dashboards:team_detail", args=[team.slug]) + f"?{query}"

        urls[side] = {
            "rare_word": page(teams[8], q=RARE_WORD),
            "common_word_first_page": page(teams[8], q=COMMON_WORD),
            "rare_theme_with_category": page(teams[4], theme=rare_theme.pk, category="detractors"),
            "no_filter": page(teams[8]),
        }
        old[side] = (teams[8], manager)
    timings = {name: [] for name in urls["small"]}
    timings["old_substring_search_query"] = []
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for side in sides:  # warm up: caches, plans, the first login's session
            for url in urls[side].values():
                _feed_seconds(clients[side], url)
        for turn in range(pairs):
            order = ("small", "large") if turn % 2 == 0 else ("large", "small")
            for name in urls["small"]:
                measured = {side: _feed_seconds(clients[side], urls[side][name]) for side in order}
                timings[name].append((measured["small"], measured["large"]))
            measured = {side: _old_search_seconds(*old[side]) for side in order}
            timings["old_substring_search_query"].append((measured["small"], measured["large"]))
        rare = clients["large"].get(
            urls["large"]["rare_word"],
            headers={"hx-request": "true", "hx-target": "feed"},
            secure=True,
        )
        rare_marked = rare.content.decode().count("<mark>")
    results = {
        "responses_small": small,
        "responses_large": rows,
        "rare_word_comments": RARE_COUNT,
        "rare_word_highlighted_on_first_page": rare_marked,
        "load_seconds": round(load_seconds, 1),
        "requests_per_timing": REQUESTS,
        "target": "ratio large/small within 0.8-1.2",
    } | {name: _summary(measured) for name, measured in timings.items()}
    if not keep:
        for organisation, *_rest in sides.values():
            clear(organisation)
    return results
