"""``generate_feedback``: realistic, repeatable synthetic data through the bulk ingest path."""

import itertools
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from feedback.models import Interaction, Response
from kpis.synthetic import generate_interactions, generate_responses, generate_rows, store_generated


def test_the_same_seed_gives_the_same_rows_and_stores_them_once(org):
    args = {"org": "acme", "responses": 300, "interactions": 600, "days": 90, "seed": 5}
    out = StringIO()
    call_command("generate_feedback", **args, stdout=out)
    assert "Responses: 300 new" in out.getvalue()
    call_command("generate_feedback", **args, stdout=out)
    assert "Responses: 0 new, 300 already there" in out.getvalue()
    assert Response.objects.count() == 300 and Interaction.objects.count() == 600
    assert set(Response.objects.values_list("source", flat=True)) == {"generated"}


def test_generated_feedback_looks_like_real_feedback(org):
    responses, interactions = generate_rows(
        org.organisation, responses=4000, interactions=6000, days=365, seed=3
    )
    scores = Counter(row["score"] for row in responses)
    assert set(scores) >= {0, 5, 6, 7, 8, 9, 10}
    by_team = Counter(row["team"] for row in responses)
    assert set(by_team) == {"alpha", "beta", "gamma"}
    assert len(set(by_team.values())) > 1  # teams differ in volume
    comments = [row["comment"] for row in responses if row["comment"]]
    assert 0.2 < len(comments) / len(responses) < 0.7
    assert any("wacht" in c for c in comments) and any("queue" in c for c in comments)
    customers = Counter(row["customer_ref"] for row in responses + interactions)
    assert customers.most_common(1)[0][1] > 3  # returning customers
    error_rates = {}
    for team in by_team:
        rows = [row for row in interactions if row["team"] == team]
        error_rates[team] = sum(row["is_error"] for row in rows) / len(rows)
    assert 0 < min(error_rates.values()) < max(error_rates.values()) < 0.2
    months = {row["submitted_at"][:7] for row in responses}
    assert len(months) >= 12


def test_unknown_organisation_or_bad_numbers_are_refused(org):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("generate_feedback", org="nope")
    with pytest.raises(CommandError, match="--days"):
        call_command("generate_feedback", org="acme", days=0)


def test_more_days_than_ten_years_are_refused(org):
    with pytest.raises(CommandError, match="--days from 1 to 3650"):
        call_command("generate_feedback", org="acme", days=12000)


def test_rows_stream_so_millions_fit_in_memory(org):
    sizes = {"responses": 10**9, "interactions": 10**9, "days": 365, "seed": 4}
    first = list(itertools.islice(generate_responses(org.organisation, **sizes), 3))
    again = list(itertools.islice(generate_responses(org.organisation, **sizes), 3))
    assert len(first) == 3 and first == again
    served = next(generate_interactions(org.organisation, **sizes))
    assert served["external_id"] == "gen-4-i0"


def test_streamed_rows_are_stored_chunk_by_chunk(org):
    sizes = {"responses": 250, "interactions": 0, "days": 30, "seed": 8}
    rows = generate_responses(org.organisation, **sizes)
    assert store_generated(org.organisation, "responses", rows, chunk=100) == (250, 0)
    assert Response.objects.count() == 250


def stored_interactions(organisation):
    return sorted(
        Interaction.objects.filter(organisation=organisation).values_list(
            "team_id",
            "customer_hash",
            "occurred_at",
            "local_day",
            "is_error",
            "note",
            "external_id",
            "source",
            "created_by_id",
        )
    )


def test_loading_interactions_by_copy_stores_what_the_ingest_path_stores(org, monkeypatch):
    from django.db import connection

    from feedback.models import DirtyMark
    from kpis import synthetic

    if connection.vendor != "postgresql":
        pytest.skip("load_interactions writes by COPY: PostgreSQL only (CI has it)")
    sizes = {"responses": 50, "interactions": 700, "days": 120, "seed": 9}
    store_generated(
        org.organisation, "interactions", generate_interactions(org.organisation, **sizes)
    )
    expected = stored_interactions(org.organisation)
    marks = set(DirtyMark.objects.values_list("team_id", "day", "later_periods"))
    Interaction.objects.all().delete()
    DirtyMark.objects.all().delete()
    monkeypatch.setattr(synthetic, "LOAD_CHUNK", 300)  # three transactions, the last short
    assert synthetic.load_interactions(org.organisation, **sizes) == 700
    assert stored_interactions(org.organisation) == expected
    assert set(DirtyMark.objects.values_list("team_id", "day", "later_periods")) == marks
    assert len({row[1] for row in expected}) < 700  # customers come back
