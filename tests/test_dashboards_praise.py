"""Praise passed on from the comment feed: a promoter's comment to the team or to a named
colleague, mailed once in each reader's language; refusals say why and change nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from dashboards import tasks
from dashboards.models import Praise
from tests.followup_data import answer


@pytest.fixture
def promoter(org):
    response = answer(org, org.team_a, 10, external_id="p-1")
    response.comment = "Anouk at the counter was wonderful."
    response.save()
    return response


def url(response):
    return reverse("dashboards:comment_praise", args=[response.pk])


def test_the_feed_offers_to_pass_a_promoters_comment_on(org, promoter, login):
    page = login(org.employee).get(reverse("dashboards:team_detail", args=["alpha"]))
    assert url(promoter) in page.content.decode()


def test_praise_to_a_named_colleague_is_mailed_to_them_once(
    org, promoter, login, django_capture_on_commit_callbacks
):
    org.lead.language = "nl"
    org.lead.save()
    client = login(org.employee)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(promoter), {"to": str(org.lead.pk)}).status_code == 302
        assert client.post(url(promoter), {"to": str(org.lead.pk)}).status_code == 302
    praise = Praise.objects.get()
    assert tasks.send_praise(praise.pk) == 0  # sent already, by the first request
    [message] = mail.outbox
    assert message.to == [org.lead.email]
    assert message.subject == "Een klant zei dit over jou"
    assert "Anouk at the counter was wonderful." in message.body


def test_praise_to_the_team_goes_to_everyone_in_it_but_the_sender(
    org, promoter, login, django_capture_on_commit_callbacks
):
    org.lead.language = "en"
    org.lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        login(org.employee).post(url(promoter), {"to": "team"})
    assert [message.to for message in mail.outbox] == [[org.lead.email]]
    assert mail.outbox[0].subject == "A customer said this about Alpha"


def test_praise_cannot_go_to_someone_outside_the_team(org, promoter, login):
    page = login(org.lead).post(url(promoter), {"to": str(org.employee_b.pk)})
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()
    assert not Praise.objects.exists()


def test_a_detractors_comment_is_no_praise(org, login):
    response = answer(org, org.team_a, 3, external_id="d-1")
    assert login(org.lead).get(url(response)).status_code == 404


def test_other_teams_cannot_pass_it_on(org, promoter, login):
    assert login(org.employee_b).get(url(promoter)).status_code == 404
