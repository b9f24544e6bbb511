"""The idea lists (organisation and team, with their filters), the entry points on the team
page, comments and targets, ideas per level in the programme's diagnosis, and the demo."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dashboards.management.commands import seed_demo
from feedback.models import Response, Source
from ideas.models import Idea, IdeaStatus, IdeaVote
from levels import coherence
from levels.models import PlanItem
from tests.factories import UserFactory
from tests.test_config_visibility import add_programme

LIST_QUERIES = 12


def idea(org, title, team=None, status=IdeaStatus.PROPOSED, level=None, **extra):
    return Idea.objects.create(
        organisation=org.organisation,
        team=team or org.team_a,
        proposer=org.employee,
        title=title,
        change="c",
        status=status,
        level=level,
        **extra,
    )


def test_the_organisations_list_filters_by_status_team_target_and_level(login, org):
    add_programme(org)
    idea(org, "Alpha proposed", level=7)
    idea(org, "Alpha done", status=IdeaStatus.DONE, level=6, target=org.target)
    idea(org, "Beta accepted", team=org.team_b, status=IdeaStatus.ACCEPTED, level=7)
    client = login(org.employee)

    def titles(query=""):
        page = client.get(reverse("ideas:list") + query).content.decode()
        return {
            title
            for title in ("Alpha proposed", "Alpha done", "Beta accepted", "Call back the same")
            if title in page
        }

    assert titles() == {"Alpha proposed", "Alpha done", "Beta accepted", "Call back the same"}
    assert titles("?status=done") == {"Alpha done"}
    assert titles("?team=beta") == {"Beta accepted"}
    assert titles(f"?target={org.target.pk}") == {"Alpha done"}
    assert titles("?level=7") == {"Alpha proposed", "Beta accepted"}
    assert titles("?level=7&team=alpha") == {"Alpha proposed"}
    # Nonsense in one filter is ignored, not an error; the other filters still apply.
    response = client.get(reverse("ideas:list") + "?level=x&status=done&team=nope")
    assert response.status_code == 200 and "Alpha done" in response.content.decode()
    assert "Alpha proposed" not in response.content.decode()


def test_the_team_list_is_the_list_filtered_by_team(login, org):
    idea(org, "Alpha proposed")
    page = login(org.employee).get(reverse("ideas:list") + "?team=alpha").content.decode()
    assert "Ideas of Alpha" in page and "/ideas/new/?team=alpha" in page


def test_the_list_takes_the_same_queries_with_more_ideas(login, org, django_assert_max_num_queries):
    client = login(org.employee)
    idea(org, "first")
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get(reverse("ideas:list")).status_code == 200
    for number in range(25):
        made = idea(org, f"idea {number}", team=[org.team_a, org.team_b][number % 2], level=7)
        IdeaVote.objects.create(idea=made, voter=UserFactory(organisation=org.organisation))
    with django_assert_max_num_queries(LIST_QUERIES):
        page = client.get(reverse("ideas:list")).content.decode()
    assert "idea 24" in page and "1 vote" in page
    assert page.index("idea 24") < page.index("idea 23") < page.index("first")  # newest first


def test_the_team_page_shows_its_open_ideas_and_the_way_to_propose_one(login, org):
    idea(org, "Open one")
    idea(org, "Done one", status=IdeaStatus.DONE)
    idea(org, "Beta's", team=org.team_b)
    Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=4,
        comment="Too slow",
        submitted_at=timezone.now(),
        source=Source.FORM,
    )
    add_programme(org)
    page = login(org.employee).get(reverse("dashboards:team_detail", args=["alpha"]))
    html = page.content.decode()
    assert "Open one" in html and "Done one" not in html and "Beta's" not in html
    assert "/ideas/new/?team=alpha" in html
    comment = Response.objects.get()
    assert f"/ideas/new/?comment={comment.pk}" in html  # on the comment
    assert f"/ideas/new/?target={org.target.pk}" in html  # on the target card


def test_an_idea_from_a_target_has_the_target_and_its_team_chosen(login, org):
    add_programme(org)
    page = login(org.lead).get(reverse("ideas:create") + f"?target={org.target.pk}")
    html = page.content.decode()
    assert f'<option value="{org.target.pk}" selected>' in html
    assert f'<option value="{org.team_a.pk}" selected>' in html


def test_hr_has_no_team_to_propose_for_and_sees_no_link(login, org):
    add_programme(org)
    client = login(org.hr)
    assert client.get(reverse("ideas:create")).status_code == 403
    assert "Propose an idea" not in client.get(reverse("ideas:list")).content.decode()


# --- Ideas per level in the diagnosis ------------------------------------------------------------


def test_ideas_only_about_context_are_a_finding_with_a_fix():
    counts = dict.fromkeys(range(1, 8), 0) | {7: 4, 6: 1}
    empty, finding = coherence.diagnose([], ideas_per_level=counts)
    assert empty.rule == coherence.EMPTY_PLAN and finding.rule == coherence.IDEAS_ONLY_CONTEXT
    assert "4 of the 5 ideas" in str(finding.explanation)
    assert str(finding.fix)


@pytest.mark.parametrize(
    "counts",
    [
        {7: 4, 3: 1},  # someone thinks about values
        {7: 3},  # too few to tell
        {7: 2, 6: 2, 5: 1},  # most are not about context
    ],
)
def test_ideas_spread_over_the_levels_are_no_finding(counts):
    per_level = dict.fromkeys(range(1, 8), 0) | counts
    assert coherence.ideas_only_context(per_level) is None


def test_the_diagnosis_page_counts_the_ideas_per_level_of_the_programme(login, org):
    add_programme(org)
    org.idea.delete()
    context = PlanItem.objects.create(programme=org.programme, level=7, title="New CRM")
    for number in range(4):
        idea(org, f"context {number}", plan_item=context, level=7)
    idea(org, "declined identity", level=2, status=IdeaStatus.DECLINED)  # does not count
    page = login(org.employee).get(reverse("dashboards:diagnosis", args=[org.programme.pk]))
    html = page.content.decode()
    assert "The teams’ ideas are only about context" in html
    assert '<a href="/ideas/?level=7">4</a>' in html


# --- The demo -------------------------------------------------------------------------------


def test_the_demo_has_ideas_in_every_status_and_a_second_run_changes_nothing(
    db, settings, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setattr(seed_demo, "DEMO_RESPONSES", 400)
    monkeypatch.setattr(seed_demo, "DEMO_INTERACTIONS", 900)
    call_command("seed_demo", stdout=StringIO())
    statuses = set(Idea.objects.values_list("status", flat=True))
    assert statuses == set(IdeaStatus.values)
    counts = (Idea.objects.count(), IdeaVote.objects.count())
    done = Idea.objects.get(status=IdeaStatus.DONE)
    assert done.accepted_at < done.started_at < done.done_at
    call_command("seed_demo", stdout=StringIO())
    assert (Idea.objects.count(), IdeaVote.objects.count()) == counts


def test_an_ideas_page_in_dutch_has_no_english_left(org, django_capture_on_commit_callbacks):
    from django.test import Client

    from ideas import workflow
    from tests.test_config_translations import english_strings

    proposal = idea(org, "Terugbelronde", level=6)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.move(proposal, to_status="accepted", actor=org.lead)
    client = Client(headers={"accept-language": "nl"})
    for person in (org.lead, org.employee, org.employee_b):
        client.force_login(person)
        page = client.get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
        assert '<html lang="nl">' in page and "Terugbelronde" in page
        left = [s for s in english_strings() if s in page or s.replace('"', "&quot;") in page]
        assert left == [], person
    assert "Nieuws over je ideeën" not in client.get(reverse("home")).content.decode()
    client.force_login(org.employee)
    home = client.get(reverse("home")).content.decode()
    assert "Nieuws over je ideeën" in home
    assert [s for s in english_strings() if s in home] == []
