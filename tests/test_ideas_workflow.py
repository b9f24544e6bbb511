"""Team ideas: proposing (linking only comments one may read), voting once and withdrawing,
discussing, and moving an idea from proposed to done or declined, by whom."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response, Source
from ideas import rules, workflow
from ideas.models import Idea, IdeaEvent, IdeaStatus, IdeaVote
from programmes.models import Target
from tests.factories import UserFactory


def comment(org, team, text="Nobody called me back"):
    return Response.objects.create(
        organisation=org.organisation,
        team=team,
        score=3,
        comment=text,
        submitted_at=timezone.now(),
        source=Source.FORM,
    )


def idea(org, proposer=None, team=None, **extra):
    return Idea.objects.create(
        organisation=org.organisation,
        team=team or org.team_a,
        proposer=proposer or org.employee,
        title="A call-back round at four",
        change="Call back every low score the same day",
        **extra,
    )


def move(client, proposal, to_status, reason=""):
    return client.post(
        reverse("ideas:move", args=[proposal.pk]), {"to_status": to_status, "reason": reason}
    )


# --- Proposing ---------------------------------------------------------------------------------


def test_an_employee_proposes_an_idea_from_a_customer_comment(login, org):
    said = comment(org, org.team_a)
    client = login(org.employee)
    form = client.get(reverse("ideas:create") + f"?comment={said.pk}")
    assert form.status_code == 200
    page = form.content.decode()
    assert "Nobody called me back" in page and "checked" in page
    response = client.post(
        reverse("ideas:create"),
        {
            "team": org.team_a.pk,
            "title": "Call back the same day",
            "customers_said": "They wait for days",
            "comments": [said.pk],
            "change": "A call-back round at four",
            "level": 6,
        },
    )
    created = Idea.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ideas/{created.pk}/"
    assert created.proposer == org.employee and created.status == IdeaStatus.PROPOSED
    assert created.organisation == org.organisation
    assert list(created.comments.all()) == [said]


def test_a_comment_the_proposer_may_not_read_cannot_be_linked(login, org):
    theirs = comment(org, org.team_b, text="Beta's customer")
    client = login(org.employee)
    page = client.get(reverse("ideas:create") + f"?comment={theirs.pk}").content.decode()
    assert "Beta's customer" not in page
    response = client.post(
        reverse("ideas:create"),
        {"team": org.team_a.pk, "title": "T", "change": "C", "comments": [theirs.pk]},
    )
    assert response.status_code == 400
    assert not Idea.objects.exists()


def test_an_employee_proposes_only_for_their_own_team(login, org):
    response = login(org.employee).post(
        reverse("ideas:create"), {"team": org.team_b.pk, "title": "T", "change": "C"}
    )
    assert response.status_code == 400
    assert not Idea.objects.exists()


def test_the_plan_item_decides_the_level_and_a_target_of_another_team_is_refused(login, org):
    from levels.models import PlanItem
    from tests.test_config_visibility import add_programme

    add_programme(org)
    behaviour = PlanItem.objects.create(programme=org.programme, level=6, title="Call back")
    other = Target.objects.create(
        organisation=org.organisation,
        team=org.team_b,
        metric="nps",
        baseline_start="2026-08-01",
        goal_amount=8,
        due_on="2026-12-31",
    )
    client = login(org.lead)
    data = {"team": org.team_a.pk, "title": "T", "change": "C", "plan_item": behaviour.pk}
    bad = client.post(reverse("ideas:create"), data | {"level": 2, "target": other.pk})
    assert bad.status_code == 400
    assert client.post(reverse("ideas:create"), data | {"level": 2}).status_code == 302
    assert Idea.objects.get(title="T").level == 6


def test_management_chooses_the_team_first(login, org):
    page = login(org.manager).get(reverse("ideas:create")).content.decode()
    assert "?team=alpha" in page and "?team=gamma" in page


# --- Voting ----------------------------------------------------------------------------------


def test_a_colleague_votes_once_and_can_withdraw_the_vote(login, org):
    proposal = idea(org)
    colleague = UserFactory(organisation=org.organisation, teams=[org.team_a])
    client = login(colleague)
    url = reverse("ideas:vote", args=[proposal.pk])
    assert client.post(url, {"on": "1"}).status_code == 302
    assert client.post(url, {"on": "1"}).status_code == 302
    assert IdeaVote.objects.filter(idea=proposal).count() == 1
    assert client.post(url, {"on": "0"}).status_code == 302
    assert not IdeaVote.objects.exists()


def test_voting_by_htmx_answers_the_vote_button_only(login, org):
    proposal = idea(org)
    response = login(org.lead).post(
        reverse("ideas:vote", args=[proposal.pk]), {"on": "1"}, headers={"hx-request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="idea-votes"' in page
    assert "Withdraw my vote" in page and "<html" not in page


def test_the_proposer_does_not_vote_for_their_own_idea(login, org):
    proposal = idea(org)
    response = login(org.employee).post(reverse("ideas:vote", args=[proposal.pk]), {"on": "1"})
    assert response.status_code == 403
    assert not IdeaVote.objects.exists()


def test_another_teams_employee_reads_and_reacts_but_does_not_vote_when_voting_is_for_the_team(
    login, org
):
    proposal = idea(org)
    client = login(org.employee_b)
    page = client.get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
    assert "A call-back round at four" in page
    assert "Vote for it" not in page and "Only Alpha votes on its ideas" in page
    assert client.post(reverse("ideas:vote", args=[proposal.pk]), {"on": "1"}).status_code == 403
    reaction = client.post(reverse("ideas:comment", args=[proposal.pk]), {"body": "Nice"})
    assert reaction.status_code == 302
    assert proposal.discussion.get().author == org.employee_b


def test_where_the_organisation_votes_another_teams_employee_votes_too(login, org):
    org.organisation.idea_voting = "organisation"
    org.organisation.save()
    proposal = idea(org)
    client = login(org.employee_b)
    assert "Vote for it" in client.get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
    assert client.post(reverse("ideas:vote", args=[proposal.pk]), {"on": "1"}).status_code == 302
    assert IdeaVote.objects.get().voter == org.employee_b


def test_management_sets_who_votes_on_the_settings_page(login, org):
    client = login(org.manager)
    assert (
        "Who votes on ideas"
        in client.get(reverse("organisations:organisation_settings")).content.decode()
    )
    data = {
        "name": "Acme",
        "time_zone": "Europe/Amsterdam",
        "min_responses": 30,
        "min_group_size": 5,
        "min_comment_group_size": 8,
        "contact_retention_days": 90,
        "idea_voting": "organisation",
    }
    assert client.post(reverse("organisations:organisation_settings"), data).status_code == 302
    org.organisation.refresh_from_db()
    assert org.organisation.idea_voting == "organisation"
    bad = client.post(reverse("organisations:organisation_settings"), data | {"idea_voting": "all"})
    assert bad.status_code == 400


def test_nobody_votes_on_a_done_or_declined_idea(org):
    proposal = idea(org, status=IdeaStatus.DONE)
    assert not rules.can_vote(org.lead, proposal)


# --- Moving an idea on -------------------------------------------------------------------------


def test_an_employee_cannot_accept_their_own_idea_or_any_other(login, org):
    own = idea(org)
    theirs = idea(org, proposer=org.lead)
    client = login(org.employee)
    assert move(client, own, "accepted").status_code == 403
    assert move(client, theirs, "accepted").status_code == 403
    assert Idea.objects.filter(status=IdeaStatus.PROPOSED).count() == 2


def test_a_lead_cannot_accept_their_own_idea_someone_else_must(login, org):
    own = idea(org, proposer=org.lead)
    assert move(login(org.lead), own, "accepted").status_code == 403
    own.refresh_from_db()
    assert own.status == IdeaStatus.PROPOSED
    page = login(org.lead).get(reverse("ideas:detail", args=[own.pk])).content.decode()
    assert "Someone else decides on your idea" in page
    assert move(login(org.manager), own, "accepted").status_code == 302
    own.refresh_from_db()
    assert own.status == IdeaStatus.ACCEPTED
    # Once someone else decided, the lead moves their team's idea on.
    assert move(login(org.lead), own, "in_progress").status_code == 302


def test_a_manager_cannot_accept_their_own_idea_either(login, org):
    own = idea(org, proposer=org.manager)
    assert move(login(org.manager), own, "accepted").status_code == 403
    assert move(login(org.lead), own, "accepted").status_code == 302


def test_the_lead_moves_an_idea_through_every_status_and_each_step_is_recorded(login, org):
    proposal = idea(org)
    client = login(org.lead)
    for status in ("accepted", "in_progress", "done"):
        assert move(client, proposal, status).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == IdeaStatus.DONE
    assert proposal.accepted_at <= proposal.started_at <= proposal.done_at
    steps = list(IdeaEvent.objects.values_list("from_status", "to_status", "actor"))
    assert steps == [
        ("proposed", "accepted", org.lead.pk),
        ("accepted", "in_progress", org.lead.pk),
        ("in_progress", "done", org.lead.pk),
    ]


def test_an_idea_cannot_skip_a_status_or_leave_done(login, org):
    proposal = idea(org)
    client = login(org.lead)
    assert move(client, proposal, "done").status_code == 400
    proposal.status = IdeaStatus.DONE
    proposal.save()
    assert move(client, proposal, "declined").status_code == 403
    with pytest.raises(workflow.NotAllowedMove):
        workflow.move(proposal, to_status="accepted", actor=org.lead)


def test_a_lead_of_another_team_does_not_move_the_idea(login, org):
    proposal = idea(org, team=org.team_b, proposer=org.employee_b)
    # The lead of Alpha reads Beta's idea but does not decide on it.
    client = login(org.lead)
    assert client.get(reverse("ideas:detail", args=[proposal.pk])).status_code == 200
    assert move(client, proposal, "accepted").status_code == 403


def test_declining_needs_a_reason_that_everybody_reads(login, org):
    proposal = idea(org)
    client = login(org.lead)
    assert move(client, proposal, "declined").status_code == 400
    proposal.refresh_from_db()
    assert proposal.status == IdeaStatus.PROPOSED
    assert move(client, proposal, "declined", "Customers want a person").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == IdeaStatus.DECLINED
    assert proposal.decline_reason == "Customers want a person"
    page = login(org.employee_b).get(reverse("ideas:detail", args=[proposal.pk]))
    assert "Customers want a person" in page.content.decode()


def test_another_organisation_finds_none_of_our_ideas(login, org):
    proposal = idea(org)
    client = login(org.other_manager)
    assert client.get(reverse("ideas:detail", args=[proposal.pk])).status_code == 404
    assert move(client, proposal, "accepted").status_code == 404
    assert "A call-back round" not in client.get(reverse("ideas:list")).content.decode()


def test_linked_comments_show_only_to_those_who_may_read_them(login, org):
    proposal = idea(org)
    proposal.comments.add(comment(org, org.team_a, text="The queue was endless"))
    own = login(org.employee).get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
    assert "The queue was endless" in own
    other = login(org.employee_b).get(reverse("ideas:detail", args=[proposal.pk])).content
    assert "The queue was endless" not in other.decode()
    assert "1 more customer comment is linked" in other.decode()
    hr = login(org.hr).get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
    assert "The queue was endless" not in hr


def test_an_empty_reaction_is_a_form_error(login, org):
    proposal = idea(org)
    response = login(org.employee).post(reverse("ideas:comment", args=[proposal.pk]), {"body": " "})
    assert response.status_code == 400 and "Write something first" in response.content.decode()
