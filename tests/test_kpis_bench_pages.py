"""``manage.py bench --pages`` at a tiny size: the team page timed beside a one-query view in
turns, at each size, on PostgreSQL; the one-query view is served only inside the bench."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from feedback.models import Response
from kpis.bench_pages import SLUG, bench_pages
from kpis.bench_urls import ONE_QUERY
from kpis.models import Rollup
from organisations.models import Organisation

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_pages_times_the_team_page_beside_a_one_query_view_at_each_size():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark needs PostgreSQL")
    results = bench_pages((40, 80), pairs=1, requests=2)
    assert [scale["responses"] for scale in results["scales"]] == [40, 80]
    for scale in results["scales"]:
        assert scale["queries"]["one_query_view"] < scale["queries"]["team_page"]
        assert scale["queries"]["team_page"] < scale["queries"]["team_page_uncached"]
        assert scale["queries"]["team_page_hr"] < scale["queries"]["team_page"]  # no feed
        for name in ("team_page", "team_page_hr", "team_page_uncached"):
            low, high = scale[f"{name}_ratio_spread"]
            assert scale[f"{name}_ms"] > 0 and low <= scale[f"{name}_ratio"] <= high
    assert set(results["flat"]) == {"team_page", "team_page_hr"}
    organisation = Organisation.objects.get(slug=SLUG)  # its rows are gone again
    assert not Response.objects.filter(organisation=organisation).exists()
    assert not Rollup.objects.filter(organisation=organisation).exists()


def test_bench_pages_refuses_sizes_it_cannot_read():
    with pytest.raises(CommandError, match="--scales"):
        call_command("bench", "--pages", "--scales", "ten", stdout=StringIO())


def test_the_one_query_view_is_no_address_of_the_site(client):
    with pytest.raises(NoReverseMatch):
        reverse("bench_one_query")
    assert Client().get("/" + ONE_QUERY).status_code == 404
