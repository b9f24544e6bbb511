"""Management's follow-through on the programme page, against a hand-made example."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from dashboards.management_record import management_record
from ideas.models import Idea, IdeaStatus
from levels.models import PlanItem
from organisations import clock
from programmes.models import Programme, Target, Update


def idea(org, *, proposed_days_ago, decided_after=None, status=IdeaStatus.ACCEPTED, **extra):
    made = Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="t",
        change="c",
        status=status if decided_after is not None else IdeaStatus.PROPOSED,
        **extra,
    )
    proposed = timezone.now() - dt.timedelta(days=proposed_days_ago)
    fields = {"created_at": proposed}
    if decided_after is not None:
        field = "accepted_at" if status == IdeaStatus.ACCEPTED else "declined_at"
        fields[field] = proposed + dt.timedelta(days=decided_after)
    Idea.objects.filter(pk=made.pk).update(**fields)
    return made


def target(org, **extra):
    return Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        baseline_start="2026-08-01",
        goal_kind="change",
        goal_amount=8,
        due_on=timezone.localdate() + dt.timedelta(days=60),
        **extra,
    )


def test_management_record_of_a_hand_made_example(org):
    backed_by_idea, backed_by_plan, alone = target(org), target(org), target(org)
    idea(org, proposed_days_ago=40, decided_after=2, target=backed_by_idea)
    idea(org, proposed_days_ago=30, decided_after=6, status=IdeaStatus.DECLINED)
    idea(org, proposed_days_ago=20, decided_after=10)
    idea(org, proposed_days_ago=12)  # still waiting
    programme = Programme.objects.create(
        organisation=org.organisation,
        name="P",
        vision="v",
        mission="m",
        why="w",
        starts_on="2026-01-01",
        is_current=True,
    )
    PlanItem.objects.create(programme=programme, level=7, title="x").targets.add(backed_by_plan)
    update = Update.objects.create(
        organisation=org.organisation, kind="results", title="R", body="b"
    )
    Update.objects.filter(pk=update.pk).update(published_at=timezone.now() - dt.timedelta(days=61))
    now = timezone.now()
    record = management_record(org.organisation, now, clock.local_today(org.organisation))
    assert (record.decided, record.median_days_to_decide) == (3, 6.0)
    assert (record.median_low, record.median_high) == (2.0, 10.0)  # n = 3: the whole range
    assert (record.undecided, record.oldest_undecided_days) == (1, 12)
    assert record.updates[0][1] == 2.0  # results: 61 days ago
    assert record.updates[1][1] is None and record.updates[2][1] is None
    assert record.targets_without_backing == [alone]


def test_everyone_sees_it_on_the_programme_page(org, login, django_assert_max_num_queries):
    Programme.objects.create(
        organisation=org.organisation,
        name="P",
        vision="v",
        mission="m",
        why="w",
        starts_on="2026-01-01",
        is_current=True,
    )
    target(org)
    client = login(org.employee_b)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("dashboards:programme"))
    body = page.content.decode()
    assert "Management's own follow-through" in body
    assert "Targets with no idea or plan item behind them" in body
