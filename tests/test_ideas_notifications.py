"""Every step of an idea is told to its proposer: once by e-mail, in their language, and as a
notice on their home page."""

from django.core import mail
from django.urls import reverse

from ideas import tasks, workflow
from ideas.models import Idea, IdeaEvent


def idea(org, proposer):
    return Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=proposer,
        title="A call-back round at four",
        change="Call back the same day",
    )


def test_the_proposer_gets_one_email_per_step_even_when_the_task_runs_twice(
    org, django_capture_on_commit_callbacks
):
    proposal = idea(org, org.employee)
    with django_capture_on_commit_callbacks(execute=True):
        event = workflow.move(proposal, to_status="accepted", actor=org.lead)
    assert len(mail.outbox) == 1
    assert tasks.notify_proposer.delay(event.pk).get() == 0  # delivered again: nothing sent
    assert tasks.notify_proposer(event.pk) == 0
    assert len(mail.outbox) == 1
    (message,) = mail.outbox
    assert message.to == [org.employee.email]
    # No language chosen: the site's default, Dutch.
    assert "A call-back round at four" in message.subject and "Aangenomen" in message.subject
    assert f"/ideas/{proposal.pk}/" in message.body
    assert IdeaEvent.objects.get().notified_at is not None


def test_the_email_is_in_the_proposers_language_or_the_sites_dutch(
    org, django_capture_on_commit_callbacks
):
    org.employee.language = "en"
    org.employee.save()
    english = idea(org, org.employee)
    dutch = idea(org, org.employee_b)  # no language chosen: the site's default, Dutch
    with django_capture_on_commit_callbacks(execute=True):
        workflow.move(english, to_status="declined", actor=org.lead, reason="Not now")
        workflow.move(dutch, to_status="declined", actor=org.manager, reason="Niet nu")
    by_person = {message.to[0]: message for message in mail.outbox}
    assert "Declined" in by_person[org.employee.email].subject
    assert "Not now" in by_person[org.employee.email].body
    assert "Afgewezen" in by_person[org.employee_b.email].subject
    assert "De reden" in by_person[org.employee_b.email].body


def test_every_step_is_told_and_nobody_is_told_what_they_did_themselves(
    org, django_capture_on_commit_callbacks
):
    proposal = idea(org, org.lead)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.move(proposal, to_status="accepted", actor=org.manager)
        workflow.move(proposal, to_status="in_progress", actor=org.lead)  # the lead's own step
        workflow.move(proposal, to_status="done", actor=org.manager)
    assert [message.to for message in mail.outbox] == [[org.lead.email]] * 2
    assert IdeaEvent.objects.filter(notified_at__isnull=True).count() == 0


def test_the_email_is_sent_after_the_step_is_saved(org, django_capture_on_commit_callbacks):
    proposal = idea(org, org.employee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.move(proposal, to_status="accepted", actor=org.lead)
    assert len(callbacks) == 1 and mail.outbox == []


def test_the_proposer_sees_the_news_on_their_home_page(login, org):
    proposal = idea(org, org.employee)
    workflow.move(proposal, to_status="declined", actor=org.lead, reason="Customers want a person")
    page = login(org.employee).get(reverse("home")).content.decode()
    assert "News about your ideas" in page and "Customers want a person" in page
    assert f"/ideas/{proposal.pk}/" in page
    other = login(org.employee_b).get(reverse("home")).content.decode()
    assert "News about your ideas" not in other
