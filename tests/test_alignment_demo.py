"""``seed_demo``'s alignment rounds: two closed surveys with answers, safe to repeat, with most
teams shown and the small one rolled up."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from alignment import results
from alignment.models import AlignmentComment, AlignmentSurvey, AnswerSet, ValueAnswer
from dashboards.management.commands import seed_demo
from organisations.models import Team


@pytest.fixture
def demo(db, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setattr(seed_demo, "DEMO_RESPONSES", 50)
    monkeypatch.setattr(seed_demo, "DEMO_INTERACTIONS", 50)
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_has_two_closed_rounds_with_answers_and_repeating_adds_nothing(demo):
    counts = [m.objects.count() for m in (AlignmentSurvey, AnswerSet, ValueAnswer)]
    assert counts == [2, 59, 59 * 4]
    call_command("seed_demo", stdout=StringIO())
    assert [m.objects.count() for m in (AlignmentSurvey, AnswerSet, ValueAnswer)] == counts
    assert all(survey.is_closed() for survey in AlignmentSurvey.objects.all())


def test_the_demo_shows_most_teams_and_rolls_up_the_small_one(demo):
    latest = AlignmentSurvey.objects.order_by("-opens_on").first()
    result = results.results(latest)
    slug_of = {f"team:{team.pk}": team.slug for team in Team.objects.all()}
    shown_teams = {slug_of[key] for key in result.shown if key.startswith("team:")}
    assert shown_teams == {"klantenservice-noord", "klantenservice-zuid", "webwinkel"}
    assert result.previous is not None
    assert "⟦name⟧" in " ".join(AlignmentComment.objects.values_list("text", flat=True))


@pytest.mark.parametrize("username", ["manager", "hr", "lead", "employee", "employee2"])
def test_every_demo_login_can_open_the_latest_results(demo, client, username):
    from organisations.models import User

    latest = AlignmentSurvey.objects.order_by("-opens_on").first()
    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("alignment:survey", args=[latest.pk])).status_code == 200
