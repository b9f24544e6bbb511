"""Benchmarks of one new answer (issue 20), for ``manage.py bench``: the worker's time to bring
the rollups up to date after one new response or interaction beside a bare GROUP BY over that
team-day, timed in turns in the same run; and the time from ``POST /api/v1/responses`` (or
interactions) to the changed figure in ``GET /api/v1/kpis``, with a real Celery worker process
and web server on a redis-server of their own (``kpis.soak``'s processes)."""

import json
import statistics
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import DirtyMark, Interaction, Response
from kpis.benchmarks import tasks_sent_not_run
from kpis.faults import RedisServer
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from kpis.soak import Processes, percentile
from kpis.synthetic import generate_rows, store_generated
from kpis.tasks import recompute_rollups
from organisations.models import IntegrationToken

# What a worker counts for one team-day, at its barest: a bare GROUP BY of the team-day's raw
# rows (the counts of its rollup row), through the same (organisation, team, local day) index.
BARE_TEAM_DAY = {
    "responses": """
        SELECT count(score), count(*) FILTER (WHERE score >= 9),
               count(*) FILTER (WHERE score BETWEEN 7 AND 8), count(*) FILTER (WHERE score <= 6),
               count(*) FILTER (WHERE comment <> '')
        FROM feedback_response
        WHERE organisation_id = %s AND team_id = %s AND local_day = %s
        GROUP BY team_id, local_day""",
    "interactions": """
        SELECT count(*), count(*) FILTER (WHERE is_error), count(DISTINCT customer_hash)
        FROM feedback_interaction
        WHERE organisation_id = %s AND team_id = %s AND local_day = %s
        GROUP BY team_id, local_day""",
}
KINDS = ("responses", "interactions")
ANALYZED = [
    model._meta.db_table
    for model in (
        Response,
        Response.themes.through,
        Interaction,
        Rollup,
        ThemeRollup,
        DailyCustomers,
    )
]


class Counted:
    """The statements and transactions of what runs inside, on the default connection: each
    statement outside an atomic block is a transaction of its own, and each commit ends one.
    BEGIN and COMMIT themselves are not counted as statements."""

    def __enter__(self):
        self.commits = self.autocommitted = 0
        self.database = connections["default"]
        real_commit = self.database.commit

        def commit():
            self.commits += 1
            real_commit()

        self.database.commit = commit
        self.captured = CaptureQueriesContext(self.database)
        self.captured.__enter__()
        self.wrapper = self.database.execute_wrapper(self._statement)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)
        self.captured.__exit__(*exc)
        del self.database.commit

    def _statement(self, execute, sql, params, many, context):
        if not self.database.in_atomic_block:
            self.autocommitted += 1
        return execute(sql, params, many, context)

    @property
    def statements(self) -> int:
        control = ("BEGIN", "COMMIT", "ROLLBACK")
        return len([q for q in self.captured.captured_queries if q["sql"] not in control])

    @property
    def transactions(self) -> int:
        return self.commits + self.autocommitted


def _spread(values) -> list:
    return [round(min(values), 4), round(max(values), 4)]


def _time_worker(organisation):
    """The worker's task for the organisation, as a worker process runs it: (seconds, Counted)."""
    with Counted() as counted:
        started = time.perf_counter()
        recompute_rollups(organisation.pk)
        seconds = time.perf_counter() - started
    return seconds, counted


def _time_bare(organisation, kind, team, day) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BARE_TEAM_DAY[kind], [organisation.pk, team, day])
        cursor.fetchall()
    return time.perf_counter() - started


def bench_one_answer(organisation, pairs: int = 5, seed: int = 500) -> dict:
    """With the organisation's rows and rollups in place: ``pairs`` times for each kind, one
    new row stored (untimed, its message held back), then in turns (the order alternating) the
    worker's task and a bare aggregate over the new row's team-day. Each pair gives a ratio;
    reports their median and spread, and the worker's statements and transactions."""
    recompute_rollups(organisation.pk)  # nothing left over from loading
    with connection.cursor() as cursor:
        # Fresh statistics, as a database that has been running a while has them (autovacuum):
        # loading and a rebuild have just filled these tables.
        for table in ANALYZED:
            cursor.execute(f"ANALYZE {table}")
    results = {}
    for kind in KINDS:
        worker, bare, ratios, statements, transactions = [], [], [], set(), set()
        for pair in range(pairs):
            one = generate_rows(
                organisation,
                responses=int(kind == "responses"),
                interactions=int(kind == "interactions"),
                days=1,
                seed=seed + pair,
            )
            with tasks_sent_not_run():
                store_generated(organisation, kind, one[0] or one[1])
            team, day = DirtyMark.objects.filter(organisation=organisation).values_list(
                "team_id", "day"
            )[0]
            timed = {}
            first_worker = pair % 2 == 0  # in turns: each goes first in half the pairs
            for step in ("worker", "bare") if first_worker else ("bare", "worker"):
                if step == "worker":
                    timed["worker"], counted = _time_worker(organisation)
                    statements.add(counted.statements)
                    transactions.add(counted.transactions)
                else:
                    timed["bare"] = _time_bare(organisation, kind, team, day)
            worker.append(timed["worker"])
            bare.append(timed["bare"])
            ratios.append(timed["worker"] / timed["bare"])
        results[kind] = {
            "pairs": pairs,
            "worker_seconds_median": round(statistics.median(worker), 4),
            "worker_seconds_spread": _spread(worker),
            "bare_group_by_seconds_median": round(statistics.median(bare), 4),
            "bare_group_by_seconds_spread": _spread(bare),
            "ratio_median": round(statistics.median(ratios), 2),
            "ratio_spread": [round(min(ratios), 2), round(max(ratios), 2)],
            "worker_statements": sorted(statements),
            "worker_transactions": sorted(transactions),
            "target": "ratio_median <= 3",
        }
    return results


class Api:
    """The organisation's API on the bench's own web server, as an integration."""

    def __init__(self, processes, token):
        self.processes = processes
        self.token = token

    def call(self, path, body=None):
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.processes.url(path),
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.loads(answer.read())

    def figure(self, team, kind) -> int:
        query = urllib.parse.urlencode({"team": team, "period": "day", "last": 1})
        return self.call(f"/api/v1/kpis?{query}")["series"][-1][kind]


def _new_row(kind, team):
    now = timezone.now().isoformat()
    row = {"team": team, "customer_ref": f"latency-{uuid.uuid4().hex[:6]}"}
    row["external_id"] = f"latency-{uuid.uuid4().hex}"
    if kind == "responses":
        return row | {"score": 9, "comment": "Snel geholpen", "submitted_at": now}
    return row | {"occurred_at": now, "is_error": False}


def bench_post_to_kpis(organisation, team, posts: int = 100, poll: float = 0.01) -> dict:
    """From each POST of one row to the KPI API showing it (today's figure of its team, polled
    every ``poll`` seconds): p50 and p95 over ``posts`` posts of each kind, one at a time,
    through gunicorn and a Celery worker process on a redis-server of their own."""
    redis = RedisServer().start()
    processes = Processes(redis, Path(tempfile.mkdtemp(prefix="kk-latency-")))
    token_row, token = IntegrationToken.issue(organisation=organisation, name="Latency bench")
    results = {"posts": posts, "poll_seconds": poll}
    try:
        processes.start_web()
        processes.start_worker()
        api = Api(processes, token)
        for kind in KINDS:
            seconds = []
            for number in range(posts + 1):  # the first warms the worker up, uncounted
                before = api.figure(team, kind)
                started = time.monotonic()
                api.call(f"/api/v1/{kind}", [_new_row(kind, team)])
                deadline = started + 60
                while api.figure(team, kind) == before:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"no new figure after 60 s; see {processes.log_dir / 'worker.log'}"
                        )
                    time.sleep(poll)
                if number:
                    seconds.append(time.monotonic() - started)
            results[kind] = {
                "p50_seconds": round(percentile(seconds, 0.5), 3),
                "p95_seconds": round(percentile(seconds, 0.95), 3),
                "max_seconds": round(max(seconds), 3),
            }
    finally:
        processes.stop()
        redis.stop()
        token_row.delete()
    return results


def bench_one_new_answer(organisation, posts: int = 100, team: str = "north") -> dict:
    """Both, on the bench organisation's rows: ``posts`` 0 leaves out the POST → KPI part
    (it starts a web server and a worker)."""
    results = {"worker_beside_group_by": bench_one_answer(organisation)}
    if posts:
        results["post_to_kpis"] = bench_post_to_kpis(organisation, team, posts=posts)
    return results
