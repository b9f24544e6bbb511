"""The site's addresses plus one that only ``manage.py bench --pages`` serves, as its
ROOT_URLCONF for the length of the bench: a view of one query, the baseline the team page is
timed against. No running site ever routes to it (config/urls.py does not know it)."""

from django.http import HttpResponse
from django.urls import include, path

from organisations.models import Team

ONE_QUERY = "bench/one-query/"


def one_query(request):
    """One query, beside whatever the middleware does for every logged-in person."""
    count = Team.objects.filter(organisation_id=request.user.organisation_id).count()
    return HttpResponse(f"{count} teams", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path(ONE_QUERY, one_query, name="bench_one_query"),
    path("", include("config.urls")),
]
