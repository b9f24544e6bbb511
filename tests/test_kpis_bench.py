"""``manage.py bench`` at a tiny size: it runs on PostgreSQL and reports every figure as JSON.
The real runs (millions of rows) are benchmarks, not tests: see the README."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from feedback.models import Interaction, Response
from kpis.models import DailyCustomers, Rollup

KEYS = {
    "ingest": {"rows", "ingest_seconds", "copy_seconds", "speed_ratio_to_copy"},
    "rollups": {
        "responses",
        "interactions",
        "group_by_seconds",
        "rebuild_seconds",
        "rebuild_ratio_to_group_by",
        "incremental_seconds_after_one_response",
        "incremental_seconds_after_one_interaction",
    },
    "invitations": {
        "contacts",
        "invitation_requests_per_second",
        "interactions_per_second",
        "emails",
        "emails_per_second",
    },
}


@pytest.mark.django_db(transaction=True)
def test_bench_prints_every_figure_as_json_and_leaves_nothing_behind():
    if connection.vendor != "postgresql":
        pytest.skip("bench measures against bare COPY and SQL: PostgreSQL only (CI has it)")
    out = StringIO()
    call_command(
        "bench", responses=300, interactions=500, contacts=300, emails=20, json=True, stdout=out
    )
    results = json.loads(out.getvalue())
    for part, keys in KEYS.items():
        assert keys <= set(results[part]), part
    assert results["ingest"]["rows"] == 300
    # the one response and the one interaction added to time the incremental update
    assert (results["rollups"]["responses"], results["rollups"]["interactions"]) == (301, 501)
    assert results["rollups"]["rebuild_seconds"] > 0
    invited = results["invitations"]
    assert invited["invitations_made"] > 0
    assert invited["emails"] == invited["emails_received"] == 20
    for model in (Response, Interaction, Rollup, DailyCustomers):
        assert not model.objects.exists(), model


@pytest.mark.django_db
def test_bench_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench", responses=10, json=True, stdout=StringIO())
