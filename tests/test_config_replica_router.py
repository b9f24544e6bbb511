"""Which reads may go to the read replica, without one running (the real standby is in
test_config_read_replica.py): only a page request's, never a transaction's, never sessions,
logins or tokens, never after the request wrote; and without a replica nothing changes."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import RequestFactory

from config import replica
from config.replica import REPLICA, Reads, ReplicaRouter, wants_replica
from kpis.models import Rollup
from organisations.models import IntegrationToken, Team

router = ReplicaRouter()


@pytest.fixture
def page_on_replica():
    token = replica._reads.set(Reads(from_replica=True))
    yield
    replica._reads.reset(token)


@pytest.mark.usefixtures("page_on_replica")
@pytest.mark.django_db(transaction=True)
def test_a_fresh_pages_reads_go_to_the_replica_but_never_a_transactions():
    assert router.db_for_read(Rollup) == REPLICA
    assert router.db_for_read(Team) == REPLICA
    with transaction.atomic():
        assert router.db_for_read(Rollup) == "default"
    assert router.db_for_read(Rollup) == REPLICA


@pytest.mark.usefixtures("page_on_replica")
def test_sessions_and_tokens_are_read_from_the_primary():
    assert router.db_for_read(Session) == "default"
    assert router.db_for_read(IntegrationToken) == "default"


@pytest.mark.usefixtures("page_on_replica")
def test_after_a_write_the_request_reads_the_primary():
    assert router.db_for_write(IntegrationToken) == "default"  # a token's "last used"
    assert router.db_for_read(Rollup) == REPLICA
    assert router.db_for_write(Team) == "default"
    assert router.db_for_read(Rollup) == "default"


def test_outside_a_page_request_everything_is_read_from_the_primary():
    assert router.db_for_read(Rollup) == "default"  # workers, commands, the shell


def test_nothing_is_migrated_on_the_replica():
    assert router.allow_migrate(REPLICA, "kpis") is False
    assert router.allow_migrate("default", "kpis") is None


def test_only_safe_page_requests_want_the_replica():
    factory = RequestFactory()
    assert wants_replica(factory.get("/teams/alpha/"))
    assert wants_replica(factory.get("/api/v1/kpis"))
    assert not wants_replica(factory.post("/teams/alpha/"))
    assert not wants_replica(factory.get("/healthz"))
    assert not wants_replica(factory.get("/accounts/login/"))


def test_a_writer_reads_the_primary_for_a_few_seconds_only(settings):
    settings.REPLICA_WRITER_SECONDS = 5
    factory = RequestFactory()

    def page(cookie):
        request = factory.get("/teams/alpha/")
        request.COOKIES[replica.WRITER_COOKIE] = cookie
        return request

    assert not wants_replica(page(f"{time.time() + 4:.3f}"))
    assert wants_replica(page(f"{time.time() - 1:.3f}"))
    assert wants_replica(page(f"{time.time() + 3600:.3f}"))  # no longer than a write asks
    assert wants_replica(page("not a time"))


def test_without_a_replica_a_write_sets_no_cookie(org, post_rows):
    response = post_rows("responses", [])
    assert replica.WRITER_COOKIE not in response.cookies
