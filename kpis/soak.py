"""``manage.py soak``: the whole system under faults for a chosen time. A web server (gunicorn)
and a Celery worker of its own, on a redis-server of its own, take overlapping batches from
concurrent writers through the API, survey answers through the public form, uploads and theme
edits; meanwhile the worker is SIGKILLed and Redis stopped and started. Then the faults stop,
the sweepers catch up, and it checks: no accepted row lost or doubled, no 500, and rollups
equal to a rebuild."""

import http.cookiejar
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count

from feedback.models import ImportJob, Interaction, Response, SurveyLink, Theme
from feedback.tasks import (
    retag_comments,
    run_import,
    sweep_stale_imports,
    sweep_theme_retags,
)
from kpis import rollups
from kpis.faults import RedisServer, free_port, using_redis
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from kpis.tasks import recompute_rollups, sweep_dirty_rollups
from organisations.enqueue import send
from organisations.models import IntegrationToken, Organisation, Team

TEAMS = ["noord", "zuid", "west"]
COMMENTS = ["Lang gewacht aan de balie", "Vriendelijk geholpen", "Te duur", "", "Snel en goed"]
IMPORT_ROWS = 2000


@dataclass
class Figures:
    """What happened, counted by every thread (under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # no answer at all: refused, timed out
    seconds: list = field(default_factory=list)
    seconds_redis_down: list = field(default_factory=list)
    accepted: dict = field(default_factory=lambda: {"responses": set(), "interactions": set()})
    answers: set = field(default_factory=set)  # survey submissions answered with a redirect
    imports: list = field(default_factory=list)
    worker_kills: int = 0
    redis_outages: int = 0
    theme_edits: int = 0
    refused: str = ""

    def request(self, status, seconds, redis_down):
        with self.lock:
            self.statuses[status] += 1
            (self.seconds_redis_down if redis_down else self.seconds).append(seconds)


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Processes:
    """The soak's own web server and worker, on its own Redis."""

    def __init__(self, redis, log_dir: Path):
        self.redis = redis
        self.log_dir = log_dir
        self.port = free_port()
        self.web = self.worker = None
        self.worker_starts = 0
        self.env = os.environ | {
            "REDIS_URL": redis.url,
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SURVEY_RATE_PER_ADDRESS": "1000000/h",
            "SURVEY_RATE_PER_LINK": "1000000/h",
        }

    def _start(self, command, log_name):
        log = (self.log_dir / log_name).open("ab")
        return subprocess.Popen(  # noqa: S603 - our own processes, fixed arguments
            command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )

    def start_web(self):
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4"]
        command += ["--timeout", "30"]
        self.web = self._start(command, "web.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/healthz?only=database"), timeout=2):  # noqa: S310
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.log_dir / 'web.log'}")

    def start_worker(self):
        self.worker_starts += 1
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO"]
        command += ["--concurrency", "2", "-n", f"soak{self.worker_starts}@localhost"]
        command += ["--without-gossip", "--without-mingle"]
        # One worker for every kind of work, as a single-host installation runs it.
        queues = [*settings.TASK_QUEUES_BY_KIND, settings.CELERY_TASK_DEFAULT_QUEUE]
        command += ["-Q", ",".join(queues)]
        self.worker = self._start(command, "worker.log")

    def kill_worker(self):
        """SIGKILL the worker and its pool processes: no chance to finish or hand back."""
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.kill_worker()
        if self.web is not None and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            try:
                self.web.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.web.pid, signal.SIGKILL)


class Soak:
    def __init__(
        self, *, seconds, writers, kill_every, redis_every, redis_down, seed, out, keep=False
    ):
        self.keep = keep
        self.seconds = seconds
        self.writers = writers
        self.kill_every = kill_every
        self.redis_every = redis_every
        self.redis_down_for = redis_down
        self.seed = seed
        self.out = out
        self.figures = Figures()
        self.stop = threading.Event()
        self.redis_is_down = threading.Event()
        self.log_dir = Path(tempfile.mkdtemp(prefix="kk-soak-"))

    def say(self, text):
        self.out(f"[{time.strftime('%H:%M:%S')}] {text}")

    # --- Set-up ------------------------------------------------------------------------------

    def create_organisation(self):
        slug = f"soak-{uuid.uuid4().hex[:8]}"
        organisation = Organisation.objects.create(name=f"Soak {slug}", slug=slug)
        teams = [
            Team.objects.create(organisation=organisation, name=name.title(), slug=name)
            for name in TEAMS
        ]
        Theme.objects.create(organisation=organisation, name="Wachttijd", keywords="gewacht")
        Theme.objects.create(organisation=organisation, name="Prijs", keywords="duur")
        self.link = SurveyLink.objects.create(
            organisation=organisation, team=teams[0], name="Balie"
        )
        _token, self.token = IntegrationToken.issue(organisation=organisation, name="Soak")
        self.organisation = organisation
        return organisation

    # --- The load ----------------------------------------------------------------------------

    def post_json(self, path, rows):
        body = json.dumps(rows).encode()
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.processes.url(path),
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        return self.timed(lambda: urllib.request.urlopen(request, timeout=40))  # noqa: S310

    def timed(self, call):
        down = self.redis_is_down.is_set()
        started = time.monotonic()
        try:
            with call() as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (OSError, urllib.error.URLError) as exc:
            with self.figures.lock:
                self.figures.failures[exc.__class__.__name__] += 1
            return None, b""
        self.figures.request(status, time.monotonic() - started, down)
        return status, body

    def api_batch(self, rng, kind, high):
        # Overlapping: every writer picks its ids from the same growing pool, in any order.
        ids = {f"{kind[0]}{rng.randrange(high)}" for _ in range(rng.randint(20, 200))}
        rows = []
        for external_id in ids:
            number = int(external_id[1:])
            when = f"2026-{1 + number % 6:02d}-{1 + number % 28:02d} {8 + number % 10:02d}:15"
            row = {"team": TEAMS[number % 3], "customer_ref": f"K{number % 500}"}
            if kind == "responses":
                row |= {"score": number % 11, "comment": COMMENTS[number % 5]}
                row |= {"submitted_at": when}
            else:
                row |= {"occurred_at": when, "is_error": number % 9 == 0}
            rows.append(row | {"external_id": external_id})
        status, body = self.post_json(f"/api/v1/{kind}", rows)
        if status == 400 and not self.figures.refused:
            self.figures.refused = body.decode()[:500]  # our rows are valid: say why
        if status == 200:
            with self.figures.lock:
                self.figures.accepted[kind] |= ids

    def survey_answer(self, rng):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        path = self.processes.url(f"/s/{self.link.token}/")
        status, page = self.timed(lambda: opener.open(path, timeout=40))
        if status != 200:
            return
        page = page.decode()
        submission = re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"score": str(rng.randint(0, 10)), "submission": submission}
        form |= {"comment": rng.choice(COMMENTS), "csrfmiddlewaretoken": csrf}
        data = urllib.parse.urlencode(form).encode()
        status, _body = self.timed(lambda: opener.open(path, data=data, timeout=40))
        if status == 302:
            with self.figures.lock:
                self.figures.answers.add(submission)

    def writer(self, number):
        rng = random.Random(self.seed * 1000 + number)  # noqa: S311 - a simulated load
        started = time.monotonic()
        try:
            while not self.stop.is_set():
                high = 500 + int(200 * (time.monotonic() - started))
                choice = rng.random()
                if choice < 0.45:
                    self.api_batch(rng, "responses", high)
                elif choice < 0.9:
                    self.api_batch(rng, "interactions", high)
                else:
                    self.survey_answer(rng)
        finally:
            connections.close_all()

    def uploads_and_theme_edits(self):
        """An upload (as the import page makes one) and a theme edit every few seconds."""
        rng = random.Random(self.seed)  # noqa: S311 - a simulated load
        try:
            while not self.stop.wait(rng.uniform(3, 6)):
                marker = f"upload {len(self.figures.imports)} {uuid.uuid4().hex[:6]}"
                lines = ["team,score,comment,customer_ref,submitted_at,external_id"]
                lines += [
                    f"{TEAMS[n % 3]},{n % 11},{marker},U{n % 300},"
                    f"2026-0{1 + n % 6}-0{1 + n % 9} 11:00,"
                    for n in range(IMPORT_ROWS)
                ]
                job = ImportJob.objects.create(
                    organisation=self.organisation,
                    kind="responses",
                    filename="soak.csv",
                    content=("\n".join(lines) + "\n").encode(),
                )
                self.figures.imports.append((job.pk, marker))
                send(run_import, job.pk)
                theme = Theme.objects.get(organisation=self.organisation, name="Wachttijd")
                theme.keywords = rng.choice(["gewacht", "gewacht, balie", "gewacht, snel"])
                theme.save()
                self.figures.theme_edits += 1
                send(retag_comments, self.organisation.pk)
        finally:
            connections.close_all()

    def beat(self):
        """Celery beat's sweepers, sent through the broker, with short waits for a short run."""
        while not self.stop.wait(5):
            send(sweep_dirty_rollups)
            send(sweep_stale_imports, 10)
            send(sweep_theme_retags, 10)
        connections.close_all()

    # --- The faults --------------------------------------------------------------------------

    def faults(self):
        next_kill = time.monotonic() + self.kill_every
        next_outage = time.monotonic() + self.redis_every / 2
        while not self.stop.wait(0.2):
            now = time.monotonic()
            if now >= next_kill:
                self.processes.kill_worker()
                self.figures.worker_kills += 1
                self.processes.start_worker()
                next_kill = now + self.kill_every
            if now >= next_outage and not self.redis_is_down.is_set():
                self.say(f"Redis stopped for {self.redis_down_for} s")
                self.redis_is_down.set()
                self.redis.stop()
                self.figures.redis_outages += 1
                self.redis_back_at = now + self.redis_down_for
                next_outage = now + self.redis_every
            if self.redis_is_down.is_set() and now >= self.redis_back_at:
                self.redis.start()
                self.redis_is_down.clear()
                self.say("Redis started again")
        if self.redis_is_down.is_set():
            self.redis.start()
            self.redis_is_down.clear()

    # --- The run -----------------------------------------------------------------------------

    def run(self) -> dict:
        if connection.vendor != "postgresql":
            raise RuntimeError("the soak needs PostgreSQL (set DATABASE_URL)")
        self.redis = RedisServer().start()
        self.processes = Processes(self.redis, self.log_dir)
        organisation = self.create_organisation()
        try:
            with using_redis(self.redis.url):
                self.processes.start_web()
                self.processes.start_worker()
                self.say(
                    f"organisation {organisation.slug}, web on port {self.processes.port}, "
                    f"Redis on port {self.redis.port}, logs in {self.log_dir}"
                )
                threads = [
                    threading.Thread(target=self.writer, args=(n,)) for n in range(self.writers)
                ]
                threads += [threading.Thread(target=self.uploads_and_theme_edits)]
                threads += [threading.Thread(target=self.beat)]
                threads += [threading.Thread(target=self.faults)]
                started = time.monotonic()
                for thread in threads:
                    thread.start()
                self.stop.wait(self.seconds)
                self.stop.set()
                for thread in threads:
                    thread.join()
                loaded = time.monotonic() - started
                self.say("faults stopped; waiting for the worker and the sweepers to catch up")
                settled = self.settle()
                return self.check(loaded, settled)
        finally:
            self.processes.stop()
            self.redis.stop()
            if not self.keep:
                Organisation.objects.filter(pk=organisation.pk).delete()

    def settle(self) -> float:
        """After the faults: the worker finishes the uploads the sweeper resends; then the
        sweepers' work is done here until nothing is owed."""
        started = time.monotonic()
        deadline = started + 300
        jobs = ImportJob.objects.filter(pk__in=[pk for pk, _marker in self.figures.imports])
        while jobs.exclude(status__in=["done", "failed"]).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("uploads did not finish within 5 minutes after the faults")
            sweep_stale_imports(10)
            time.sleep(2)
        while (
            sweep_theme_retags(0)
            or Theme.objects.owed_a_retag().filter(organisation=self.organisation).exists()
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the re-tag was still owed 5 minutes after the faults")
            time.sleep(1)
        recompute_rollups(self.organisation.pk)
        return time.monotonic() - started

    # --- The checks --------------------------------------------------------------------------

    def check(self, loaded, settled) -> dict:
        figures = self.figures
        organisation = self.organisation
        lost = {}
        for kind, model in (("responses", Response), ("interactions", Interaction)):
            stored = set(
                model.objects.filter(
                    organisation=organisation, external_id__in=figures.accepted[kind]
                ).values_list("external_id", flat=True)
            )
            lost[kind] = len(figures.accepted[kind] - stored)
        answered = {f"form:{submission}" for submission in figures.answers}
        stored_answers = Response.objects.filter(
            organisation=organisation, external_id__in=answered
        ).count()
        lost["survey answers"] = len(answered) - stored_answers
        doubled = {
            kind: model.objects.filter(organisation=organisation, external_id__isnull=False)
            .values("external_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
            for kind, model in (("responses", Response), ("interactions", Interaction))
        }
        imported = lost_imported = doubled_imported = 0
        for pk, marker in figures.imports:
            job = ImportJob.objects.get(pk=pk)
            rows = Response.objects.filter(organisation=organisation, comment=marker).count()
            expected = IMPORT_ROWS if job.status == "done" else 0
            imported += job.status == "done"
            lost_imported += max(0, expected - rows)
            doubled_imported += max(0, rows - expected)
            if job.status == "done" and job.rows_created != IMPORT_ROWS:
                doubled_imported += 1  # the job page would show a wrong figure
        lost["uploaded rows"] = lost_imported
        doubled["uploaded rows"] = doubled_imported
        differences = rollup_differences(organisation)
        server_errors = sum(n for status, n in figures.statuses.items() if status >= 500)
        result = {
            "seconds_under_faults": round(loaded, 1),
            "seconds_to_settle": round(settled, 1),
            "writers": self.writers,
            "requests": sum(figures.statuses.values()),
            "statuses": dict(sorted(figures.statuses.items())),
            "first_refusal": figures.refused,
            "server_errors": server_errors,
            "no_answer": dict(figures.failures),
            "p50_seconds": round(percentile(figures.seconds, 0.5), 3),
            "p95_seconds": round(percentile(figures.seconds, 0.95), 3),
            "max_seconds": round(max(figures.seconds, default=0), 3),
            "p95_seconds_redis_down": round(percentile(figures.seconds_redis_down, 0.95), 3),
            "max_seconds_redis_down": round(max(figures.seconds_redis_down, default=0), 3),
            "requests_redis_down": len(figures.seconds_redis_down),
            "accepted_rows": {
                "responses": len(figures.accepted["responses"]),
                "interactions": len(figures.accepted["interactions"]),
                "survey answers": len(answered),
                "uploaded rows": imported * IMPORT_ROWS,
            },
            "uploads": len(figures.imports),
            "theme_edits": figures.theme_edits,
            "worker_kills": figures.worker_kills,
            "redis_outages": figures.redis_outages,
            "lost": lost,
            "doubled": doubled,
            "rollup_rows": Rollup.objects.filter(organisation=organisation).count(),
            "rollups_differing_from_a_rebuild": differences,
            "mean_batch_latency_seconds": round(statistics.fmean(figures.seconds or [0]), 3),
        }
        result["ok"] = (
            not server_errors
            and not figures.refused
            and not figures.failures
            and not any(lost.values())
            and not any(doubled.values())
            and not differences
            and figures.worker_kills > 0
            and figures.redis_outages > 0
        )
        return result


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """The survey form answers a redirect; we count it, not follow it."""

    def redirect_request(self, *args, **kwargs):
        return None


def snapshot(organisation):
    """Every rollup row of the organisation, as comparable tuples."""
    return {
        model.__name__: sorted(
            model.objects.filter(organisation=organisation).values_list(*fields), key=str
        )
        for model, fields in (
            (Rollup, ["team_id", "kind", "period_start", *rollups.COUNT_FIELDS]),
            (
                ThemeRollup,
                ["team_id", "theme_id", "kind", "period_start", "mentions", "detractor_mentions"],
            ),
            (DailyCustomers, ["team_id", "day", *rollups.DAILY_FIELDS]),
        )
    }


def rollup_differences(organisation) -> int:
    """How many rollup rows differ from what a rebuild from the raw rows gives; the rebuild is
    made in a transaction that is rolled back, so the stored rows stay as the workers left
    them."""
    kept = snapshot(organisation)
    with transaction.atomic():
        rollups.rebuild(organisation)
        rebuilt = snapshot(organisation)
        transaction.set_rollback(True)
    return sum(len(set(kept[name]) ^ set(rebuilt[name])) for name in kept)
