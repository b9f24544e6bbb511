"""Running an alignment survey: values, opening it for teams, answering once, invitations and
reminders by e-mail in each person's own language."""

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alignment import tasks
from alignment.models import AlignmentSurvey, AnswerSet, Participant, QueuedAnswer, Value
from tests.alignment_data import open_survey, values


def answers_form(value_ids, team=None, **extra):
    form = {}
    for pk in value_ids:
        form |= {f"importance_{pk}": 4, f"lived_{pk}": 3}
    keys = ["identity", "purpose", "direction", "structure", "energy", "expression"]
    form |= dict.fromkeys([*keys, "autonomy", "mastery", "work_purpose"], 3)
    if team:
        form["team"] = team.pk
    return form | extra


def test_hr_adds_and_edits_a_value(login, org):
    client = login(org.hr)
    response = client.post(
        reverse("alignment:values"),
        {"name": "Ownership", "description": "We finish what we start.", "behaviour": "Calls back"},
    )
    assert response.status_code == 302
    value = Value.objects.get(organisation=org.organisation)
    response = client.post(
        reverse("alignment:value_edit", args=[value.pk]),
        {"name": "Ownership", "description": "Ours", "behaviour": "", "position": 1},
    )
    value.refresh_from_db()
    assert value.description == "Ours"


def test_a_value_name_is_unique_in_the_organisation(login, org):
    values(org.organisation, "Ownership")
    response = login(org.manager).post(reverse("alignment:values"), {"name": "ownership"})
    assert response.status_code == 400
    assert "already a value with this name" in response.content.decode()


def test_hr_opens_a_survey_for_some_teams_and_their_members_are_invited(login, org, settings):
    settings.SITE_URL = "https://kk.example.org"
    values(org.organisation, "Ownership", "Openness")
    org.employee.language = "nl"
    org.employee.save()
    org.lead.language = "en"
    org.lead.save()
    today = timezone.localdate()
    client = login(org.hr)
    response = client.post(
        reverse("alignment:survey_create"),
        {
            "title": "Spring",
            "opens_on": today.isoformat(),
            "closes_on": (today + datetime.timedelta(days=14)).isoformat(),
            "teams": [org.team_a.pk],
        },
    )
    survey = AlignmentSurvey.objects.get()
    assert response.status_code == 302
    assert survey.values.count() == 2
    invited = set(Participant.objects.filter(survey=survey).values_list("person", flat=True))
    assert invited == {org.lead.pk, org.employee.pk}
    assert tasks.send_alignment_invitations(survey.pk) == 2  # what the worker does on commit
    by_person = {message.to[0]: message for message in mail.outbox}
    dutch = by_person[org.employee.email]
    assert "Spring" in dutch.subject and "Hallo" in dutch.body
    assert f"https://kk.example.org/alignment/surveys/{survey.pk}/answer/" in dutch.body
    assert "Hello" in by_person[org.lead.email].body
    assert tasks.send_alignment_invitations(survey.pk) == 0  # never twice


def test_a_survey_needs_values_and_sensible_dates(login, org):
    today = timezone.localdate()
    response = login(org.hr).post(
        reverse("alignment:survey_create"),
        {"title": "x", "opens_on": today.isoformat(), "closes_on": "2000-01-01"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "cannot close before it opens" in html
    assert "Add the organisation" in html
    assert not AlignmentSurvey.objects.exists()


def test_a_person_answers_once(login, org):
    (value,) = values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    client = login(org.employee)
    url = reverse("alignment:answer", args=[survey.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, answers_form([value.pk], org.team_a)).status_code == 302
    assert client.post(url, answers_form([value.pk], org.team_a)).status_code == 200
    assert QueuedAnswer.objects.count() == 1  # written later, with others (alignment.batches)
    assert "You have answered" in client.get(url).content.decode()


def test_every_question_must_be_answered_within_the_scale(login, org):
    (value,) = values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    url = reverse("alignment:answer", args=[survey.pk])
    form = answers_form([value.pk], org.team_a) | {f"lived_{value.pk}": 9}
    del form["energy"]
    response = login(org.employee).post(url, form)
    assert response.status_code == 400
    assert "Please answer every question" in response.content.decode()
    assert not AnswerSet.objects.exists()
    assert not Participant.objects.get(person=org.employee).has_answered


def test_one_cannot_answer_for_a_team_one_is_not_in(login, org):
    (value,) = values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    url = reverse("alignment:answer", args=[survey.pk])
    response = login(org.employee).post(url, answers_form([value.pk], org.team_b))
    assert response.status_code == 400
    assert not AnswerSet.objects.exists()


def test_a_closed_survey_takes_no_answers(login, org):
    (value,) = values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    survey.closed_at = timezone.now()
    survey.save()
    url = reverse("alignment:answer", args=[survey.pk])
    response = login(org.employee).post(url, answers_form([value.pk], org.team_a))
    assert response.status_code == 200 and "not open" in response.content.decode()
    assert not AnswerSet.objects.exists()


def test_hr_closes_a_survey_early(login, org):
    values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    login(org.hr).post(reverse("alignment:survey_close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.is_closed()


def test_reminders_go_once_near_the_end_to_those_who_have_not_answered(org):
    values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Participant.objects.filter(survey=survey).update(invited_on=yesterday)
    Participant.objects.filter(person=org.lead).update(has_answered=True)
    assert tasks.send_alignment_reminders() == 0  # a week left: too early
    AlignmentSurvey.objects.filter(pk=survey.pk).update(
        closes_on=timezone.localdate() + datetime.timedelta(days=2),
        closes_at=timezone.now() + datetime.timedelta(days=2),
    )
    assert tasks.send_alignment_reminders() == 2  # employee and employee_b, not the lead
    assert {message.to[0] for message in mail.outbox} == {
        org.employee.email,
        org.employee_b.email,
    }
    # Without a language of their own, people get the site's default language (Dutch).
    assert all("Herinnering" in message.subject for message in mail.outbox)
    assert tasks.send_alignment_reminders() == 0


def test_the_beat_sends_invitations_a_lost_message_left_unsent(org):
    values(org.organisation, "Ownership")
    open_survey(org.organisation)  # on_commit never ran inside the test's transaction
    assert tasks.send_alignment_reminders() == 3
    assert tasks.send_alignment_reminders() == 0


def test_the_alignment_page_lists_the_survey_to_answer_and_the_values(login, org):
    values(org.organisation, "Ownership")
    survey = open_survey(org.organisation)
    html = login(org.employee).get(reverse("alignment:home")).content.decode()
    assert reverse("alignment:answer", args=[survey.pk]) in html
    assert "Ownership" in html


def test_the_comment_threshold_is_an_organisation_setting(login, org):
    response = login(org.manager).post(
        reverse("organisations:organisation_settings"),
        {
            "name": "Acme",
            "time_zone": "Europe/Amsterdam",
            "min_responses": 30,
            "min_group_size": 5,
            "min_comment_group_size": 4,
            "contact_retention_days": 90,
        },
    )
    assert response.status_code == 400
    assert "at least as many people" in response.content.decode()
    org.organisation.refresh_from_db()
    assert org.organisation.min_comment_group_size == 8
