"""What the apps tell webhooks: new answers (one event per call with its counts, one per form
answer), a follow-up opened or overdue, an idea's decision; each once."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from feedback import ingest
from feedback.models import SurveyLink
from followups import alerts, tasks
from followups.models import FollowUp
from ideas import workflow
from ideas.models import Idea
from organisations import clock
from organisations.models import Webhook, WebhookDelivery, WebhookEvent
from tests.followup_data import answer

ROW = {"score": 9, "comment": "Fine", "customer_hash": "", "submitted_at": timezone.now()}


@pytest.fixture
def hooks(org):
    everything = [event.value for event in WebhookEvent]
    return (
        Webhook.objects.create(
            organisation=org.organisation, url="https://hooks.example.org/a", events=everything
        ),
        Webhook.objects.create(
            organisation=org.organisation,
            url="https://hooks.example.org/alpha",
            events=everything,
            team=org.team_a,
        ),
    )


def payloads(event, hook):
    return [
        d.payload for d in WebhookDelivery.objects.filter(event=event, webhook=hook).order_by("pk")
    ]


def test_an_api_call_is_one_event_with_its_counts(org, hooks):
    answer(org, org.team_a, 9, external_id="a-1")
    answer(org, org.team_a, 9, external_id="a-1")  # a call that stores nothing new: no event
    with transaction.atomic():
        rows = [
            {**row, "external_id": f"b-{n}", "team_id": team.pk}
            for n, (row, team) in enumerate(
                [(ROW, org.team_a), (ROW, org.team_b), (ROW, org.team_b)]
            )
        ]
        ingest.store_responses(org.organisation, rows, source="api")
    [first, second] = payloads("answers.received", hooks[0])
    assert first["created"] == 1 and first["teams"] == [{"team": "alpha", "created": 1}]
    assert second["created"] == 3
    assert sorted(t["created"] for t in second["teams"]) == [1, 2]
    assert "comments" not in second  # nobody gets the comments of a batch


def test_a_form_answer_is_one_event_and_its_comment_goes_to_its_team_only(org, hooks):
    link = SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="x")
    for _ in range(2):  # the same form sent twice
        with transaction.atomic():
            ingest.store_survey_answer(
                link, score=8, comment="Friendly", email="", submission="s-1", language="en"
            )
    assert len(payloads("answers.received", hooks[0])) == 1
    assert "comments" not in payloads("answers.received", hooks[0])[0]
    [team_payload] = payloads("answers.received", hooks[1])
    assert team_payload["comments"][0]["text"] == "Friendly"


def test_a_follow_up_opened_and_overdue_are_told_once_each(org, hooks):
    answer(org, org.team_a, 1, external_id="crm-1")
    tasks.open_followups(org.organisation.pk)
    tasks.open_followups(org.organisation.pk)
    [opened] = payloads("followup.opened", hooks[0])
    assert opened["team"] == "alpha" and opened["score"] == 1
    assert payloads("followup.opened", hooks[1])[0]["comments"][0]["text"]
    FollowUp.objects.update(due_on=clock.local_today(org.organisation) - dt.timedelta(days=1))
    alerts.send_due(org.organisation)
    alerts.send_due(org.organisation)
    assert len(payloads("followup.overdue", hooks[0])) == 1


def test_an_ideas_decision_is_told(org, hooks):
    idea = Idea.objects.create(
        organisation=org.organisation, team=org.team_a, proposer=org.employee, title="T", change="C"
    )
    workflow.move(idea, to_status="accepted", actor=org.lead)
    [decided] = payloads("idea.decided", hooks[0])
    assert (decided["idea"], decided["decision"]) == (idea.pk, "accepted")


def test_no_webhook_no_event(org):
    answer(org, org.team_a, 1, external_id="crm-2")
    tasks.open_followups(org.organisation.pk)
    assert not WebhookDelivery.objects.exists()
