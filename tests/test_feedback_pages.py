"""The feedback pages that list things use a fixed number of queries, however long the list."""

import pytest

from feedback.models import ImportJob, SurveyLink, Theme

PAGES = ["/teams/alpha/links/", "/themes/", "/imports/"]


def add_rows(org, count, first=0):
    for n in range(first, first + count):
        SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name=f"L{n}")
        Theme.objects.create(organisation=org.organisation, name=f"T{n}", keywords=f"k{n}")
        ImportJob.objects.create(
            organisation=org.organisation, kind="responses", filename=f"{n}.csv", content=b""
        )


@pytest.mark.parametrize("path", PAGES)
def test_listing_pages_do_not_grow_in_queries(client, org, path, django_assert_max_num_queries):
    client.force_login(org.manager)
    add_rows(org, 2)
    with django_assert_max_num_queries(12):
        assert client.get(path).status_code == 200
    add_rows(org, 25, first=2)
    with django_assert_max_num_queries(12):
        assert client.get(path).status_code == 200
