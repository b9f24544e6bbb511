"""While Redis is down: writes answer as fast as when it is up, a customer's survey answer is
stored, login and rate limits still work (per process) and /healthz says Redis is down, never
a 500. A redis-server of the test's own, stopped and started again (skipped without one)."""

import re
import time

import pytest
from django.test import Client

from feedback.models import DirtyMark, Response, SurveyLink
from kpis.tasks import sweep_dirty_rollups

pytestmark = pytest.mark.django_db(transaction=True)


def row(n):
    return {"team": "alpha", "score": 9, "submitted_at": "2026-02-02 10:00", "external_id": f"x{n}"}


def timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


@pytest.mark.parametrize("fault", ["killed", "hung"])
def test_writes_answer_at_once_while_redis_is_down_and_figures_follow_when_it_is_back(
    org, post_rows, redis_server, fault
):
    answer, up = timed(lambda: post_rows("responses", [row(1)]))
    assert answer.status_code == 200
    if fault == "killed":
        redis_server.stop()
    else:
        redis_server.freeze()  # accepts connections, answers nothing
    took = []
    for n in range(2, 6):
        answer, seconds = timed(lambda n=n: post_rows("responses", [row(n)]))
        assert answer.status_code == 200, answer.content
        took.append(seconds)
    # At most one request waits for a timeout (1 s); the next ones know Redis is down.
    assert max(took) < 2 and sum(took) < 3, f"writes took {took} with Redis {fault} ({up:.2f} s up)"
    assert Response.objects.filter(external_id__in=["x2", "x3", "x4", "x5"]).count() == 4
    assert DirtyMark.objects.exists()  # the sweeper's, once Redis is back
    if fault == "killed":
        redis_server.start()
    else:
        redis_server.thaw()
    sweep_dirty_rollups()
    assert not DirtyMark.objects.exists()


def test_a_survey_answer_is_stored_and_limits_hold_per_process_while_redis_is_down(
    org, redis_server, settings
):
    settings.SURVEY_RATE_PER_ADDRESS = "3/h"
    link = SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="Desk")
    redis_server.stop()
    customer = Client()
    statuses = []
    for _answer in range(4):
        page = customer.get(f"/s/{link.token}/").content.decode()
        submission = re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)
        answer = customer.post(f"/s/{link.token}/", {"score": "8", "submission": submission})
        statuses.append(answer.status_code)
    assert statuses == [302, 302, 302, 429]  # never unlimited, never a 500
    assert Response.objects.filter(survey_link=link).count() == 3


def test_login_and_its_throttling_work_while_redis_is_down(org, redis_server, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/h"
    redis_server.stop()
    visitor = Client()
    wrong = [
        visitor.post("/accounts/login/", {"username": f"nobody{n}", "password": "x"}).status_code
        for n in range(3)
    ]
    assert 500 not in wrong
    throttled = visitor.post("/accounts/login/", {"username": "manager", "password": "demo"})
    assert throttled.status_code != 500 and "_auth_user_id" not in visitor.session
    other = Client(REMOTE_ADDR="10.0.0.9")
    org.manager.set_password("right horse")
    org.manager.save()
    answer = other.post("/accounts/login/", {"username": "manager", "password": "right horse"})
    assert answer.status_code == 302 and "_auth_user_id" in other.session


def test_healthz_reports_redis_down_instead_of_failing(org, redis_server):
    redis_server.stop()
    for path in ("/healthz?only=database,beat", "/healthz"):
        answer = Client().get(path)
        assert answer.status_code == 503, (path, answer.content)
        assert answer.json().get("database", {"status": "up"})["status"] == "up"
    body = Client().get("/healthz").json()
    assert body["redis"]["status"] == "down" and body["database"]["status"] == "up"
    assert body["beat"]["status"] == "down"
