"""A survey closes at an instant and never takes an answer again, whatever happens to the
organisation's clock afterwards; and no organisation may show groups smaller than five."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment import results, surveys
from alignment.models import AlignmentSurvey, AnswerSet, Participant
from organisations.models import Organisation
from tests.alignment_data import NEUTRAL, answer, values
from tests.factories import UserFactory

AMSTERDAM = "Europe/Amsterdam"
LOS_ANGELES = "America/Los_Angeles"


def move_clock_to(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_changing_the_time_zone_after_closing_never_lets_one_more_answer_in(
    monkeypatch, login, org
):
    """The attack: a survey closes (n = 13) at midnight in Amsterdam; management moves the
    organisation to Los Angeles, where it is still the closing day; a fourteenth person answers
    and 14·mean₁₄ − 13·mean₁₃ gives their answers exactly. It must fail: n stays 13."""
    organisation = org.organisation
    Organisation.objects.filter(pk=organisation.pk).update(time_zone=AMSTERDAM)
    organisation.refresh_from_db()
    (value,) = values(organisation, "Openness")
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(AMSTERDAM)).date()
    survey = surveys.open_survey(
        organisation=organisation,
        title="Round 1",
        opens_on=today - datetime.timedelta(days=7),
        closes_on=today,
        teams=[],
    )
    for _ in range(13):
        answer(survey, org.team_b, {value: (4, 4)}, energy=4)
    late = UserFactory(organisation=organisation, teams=[org.team_b])
    Participant.objects.create(survey=survey, person=late)

    # 00:30 in Amsterdam the day after the closing day: 15:30 the day before in Los Angeles.
    after_midnight = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(0, 30), zoneinfo.ZoneInfo(AMSTERDAM)
    )
    move_clock_to(monkeypatch, after_midnight)
    survey.refresh_from_db()
    assert survey.is_closed()
    n_closed = results.results(survey).root.size
    assert n_closed == 13

    Organisation.objects.filter(pk=organisation.pk).update(time_zone=LOS_ANGELES)
    assert timezone.localtime(after_midnight, zoneinfo.ZoneInfo(LOS_ANGELES)).date() == today

    client = login(late)
    url = reverse("alignment:answer", args=[survey.pk])
    page = client.get(url)
    assert "form" not in page.context
    assert "This survey is not open." in page.content.decode()
    form = {"team": org.team_b.pk, f"importance_{value.pk}": 1, f"lived_{value.pk}": 1} | NEUTRAL
    client.post(url, form)
    with pytest.raises(surveys.SurveyClosed):
        surveys.store_answers(
            participant=Participant.objects.get(survey=survey, person=late),
            team=org.team_b,
            value_scores={value.pk: (1, 1)},
            scores=NEUTRAL,
            comment="",
        )

    survey = AlignmentSurvey.objects.get(pk=survey.pk)
    assert survey.is_closed()
    assert AnswerSet.objects.filter(survey=survey).count() == 13
    assert results.results(survey).root.size == n_closed
    assert not Participant.objects.get(survey=survey, person=late).has_answered
    assert not AlignmentSurvey.objects.open_at(after_midnight).filter(pk=survey.pk).exists()


def test_a_survey_opened_on_the_closing_day_is_open_until_local_midnight(monkeypatch, org):
    organisation = org.organisation
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    values(organisation, "Openness")
    today = timezone.now().astimezone(zone).date()
    survey = surveys.open_survey(
        organisation=organisation, title="R", opens_on=today, closes_on=today, teams=[]
    )
    midnight = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), zone)
    assert survey.closes_at == midnight
    assert survey.is_open(midnight - datetime.timedelta(seconds=1))
    assert survey.is_closed(midnight)


@pytest.mark.parametrize(
    ("group", "comments", "refused"),
    [(3, 8, "min_group_size"), (4, 4, "min_group_size"), (6, 5, "min_comment_group_size")],
)
def test_management_cannot_lower_the_minimum_group_size_below_five(
    login, org, group, comments, refused
):
    organisation = org.organisation
    response = login(org.manager).post(
        reverse("organisations:organisation_settings"),
        {
            "name": organisation.name,
            "time_zone": organisation.time_zone,
            "min_responses": organisation.min_responses,
            "min_group_size": group,
            "min_comment_group_size": comments,
            "contact_retention_days": organisation.contact_retention_days,
            "idea_voting": organisation.idea_voting,
        },
    )
    assert response.status_code == 400
    assert refused in response.context["form"].errors
    organisation.refresh_from_db()
    assert organisation.min_group_size == 5
    assert organisation.min_comment_group_size == 8
