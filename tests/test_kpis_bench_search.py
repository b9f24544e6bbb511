"""``manage.py bench --search`` at a tiny size: each scenario timed in turns at two sizes, the
rare word found and highlighted, and nothing left behind. The real run is in the README."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from feedback.models import Response
from kpis.bench_search import RARE_COUNT, bench_search

SCENARIOS = ("rare_word", "common_word_first_page", "rare_theme_with_category", "no_filter")


@pytest.mark.django_db(transaction=True)
def test_search_bench_times_every_scenario_in_turns_and_leaves_nothing_behind():
    if connection.vendor != "postgresql":
        pytest.skip("the search bench times PostgreSQL's full-text search")
    results = bench_search(rows=1000, small=500, pairs=2)
    assert (results["responses_small"], results["responses_large"]) == (500, 1000)
    assert results["rare_word_highlighted_on_first_page"] == RARE_COUNT
    for name in (*SCENARIOS, "old_substring_search_query"):
        figure = results[name]
        assert len(figure["pairs_ms"]) == 2
        low, high = figure["ratio_spread"]
        assert low <= figure["ratio"] <= high
        assert figure["small_sql_ms"] <= figure["small_ms"]
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_search_bench_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for SQLite")
    with pytest.raises(Exception, match="PostgreSQL"):
        call_command("bench", search=100, json=True, stdout=StringIO())
