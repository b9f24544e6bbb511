"""The coherence diagnosis of the seven-level plan: each rule finds what it should, and
nothing when the plan is sound."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from levels import coherence
from levels.models import Level, PlanItem, PlanItemStatus

_next_pk = iter(range(1, 10_000))


def item(level, serves=None, hours=None, money=None, status=PlanItemStatus.PLANNED, title=""):
    pk = next(_next_pk)
    return SimpleNamespace(
        pk=pk,
        level=level,
        serves_id=serves.pk if serves else None,
        status=status,
        effort_hours=None if hours is None else Decimal(hours),
        effort_money=None if money is None else Decimal(money),
        title=title or f"item {pk}",
    )


def sound_plan():
    """A plan with every level worked, each item serving one a level up, effort spread."""
    items = [item(Level.MISSION)]
    for level in range(2, 8):
        items.append(item(level, serves=items[-1], hours=10))
    return items


def rules(findings):
    return [finding.rule for finding in findings]


def test_a_sound_plan_has_no_findings():
    assert coherence.diagnose(sound_plan()) == []


def test_an_item_serving_nothing_above_it_is_found():
    plan = sound_plan()
    orphan = item(Level.BEHAVIOUR, title="Smile more")
    findings = coherence.diagnose([*plan, orphan])
    assert rules(findings) == [coherence.ORPHAN]
    assert findings[0].items == (orphan,)
    assert "Smile more" in str(findings[0].title)
    assert "Behaviour" not in str(findings[0].fix) and "Capabilities" in str(findings[0].fix)


def test_a_mission_item_serves_nothing_and_that_is_fine():
    assert coherence.diagnose([item(Level.MISSION), item(Level.MISSION)]) == []


def test_a_dropped_item_counts_for_nothing():
    plan = sound_plan()
    dropped = item(Level.CONTEXT, status=PlanItemStatus.DROPPED, hours=10_000)
    assert coherence.diagnose([*plan, dropped]) == []


def test_a_level_worked_while_the_level_above_is_empty_is_found():
    mission = item(Level.MISSION)
    identity = item(Level.IDENTITY, serves=mission)
    skills = item(Level.CAPABILITIES)  # competences (4) is empty; values (3) too
    findings = coherence.diagnose([mission, identity, skills])
    assert rules(findings) == [coherence.LEVEL_ABOVE_EMPTY]
    assert findings[0].level == Level.CAPABILITIES
    assert findings[0].items == (skills,)
    assert "Competences" in str(findings[0].title)


def test_an_empty_level_below_the_worked_ones_is_no_finding():
    mission = item(Level.MISSION)
    assert coherence.diagnose([mission, item(Level.IDENTITY, serves=mission)]) == []


def test_items_on_a_level_whose_upper_level_is_empty_are_not_also_called_orphans():
    findings = coherence.diagnose([item(Level.VALUES), item(Level.VALUES)])
    assert rules(findings) == [coherence.LEVEL_ABOVE_EMPTY]


def test_the_bottom_up_trap_is_found_when_context_takes_the_effort_and_values_are_thin():
    plan = sound_plan()  # 10 hours on each of levels 2..7
    plan.append(item(Level.CONTEXT, serves=plan[5], hours=200))
    findings = coherence.diagnose(plan)
    assert rules(findings) == [coherence.BOTTOM_UP_TRAP]
    assert findings[0].detail["context"] == 81  # 210 of 260 hours
    assert "81%" in str(findings[0].explanation)


def test_the_bottom_up_trap_is_found_in_money_too():
    plan = sound_plan()
    plan.append(item(Level.CONTEXT, serves=plan[5], money=50_000))
    plan.append(item(Level.VALUES, serves=plan[1], money=1_000))
    assert rules(coherence.diagnose(plan)) == [coherence.BOTTOM_UP_TRAP]


def test_much_context_work_is_no_trap_when_identity_and_values_get_their_share():
    plan = sound_plan()
    plan.append(item(Level.CONTEXT, serves=plan[5], hours=200))
    plan.append(item(Level.VALUES, serves=plan[1], hours=60))
    # context 210 of 330 hours (64%), identity and values 80 (24%)
    assert coherence.diagnose(plan) == []


def test_a_target_without_a_plan_item_behind_it_is_found():
    covered, uncovered = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    findings = coherence.diagnose(sound_plan(), [covered, uncovered], {covered.pk})
    assert rules(findings) == [coherence.TARGET_WITHOUT_PLAN]
    assert findings[0].targets == (uncovered,)


def test_targets_with_plan_items_behind_them_are_fine():
    targets = [SimpleNamespace(pk=1), SimpleNamespace(pk=2)]
    assert coherence.diagnose(sound_plan(), targets, {1, 2}) == []


def test_effort_by_level_adds_hours_and_money_and_gives_shares():
    mission = item(Level.MISSION)
    efforts = coherence.effort_by_level(
        [
            mission,
            item(Level.IDENTITY, serves=mission, hours=30, money=100),
            item(Level.CONTEXT, hours=90),
            item(Level.CONTEXT, hours=10, status=PlanItemStatus.DROPPED),
        ]
    )
    assert [effort.level for effort in efforts] == list(range(1, 8))
    assert efforts[1].hours == 30 and efforts[1].money == 100 and efforts[1].money_share == 1
    assert efforts[6].items == 1 and efforts[6].hours_share == Decimal("0.75")
    assert efforts[0].hours == 0 and efforts[0].hours_share == 0


def test_every_finding_says_how_to_fix_it():
    mission = item(Level.MISSION)
    plan = [mission, item(Level.IDENTITY), item(Level.VALUES)]
    plan.append(item(Level.COMPETENCES, serves=plan[2]))
    plan.append(item(Level.CONTEXT, hours=100))
    findings = coherence.diagnose(plan, [SimpleNamespace(pk=9)])
    assert set(rules(findings)) == {
        coherence.ORPHAN,
        coherence.LEVEL_ABOVE_EMPTY,
        coherence.BOTTOM_UP_TRAP,
        coherence.TARGET_WITHOUT_PLAN,
    }
    for finding in findings:
        assert str(finding.title) and str(finding.explanation) and str(finding.fix)


# --- Validation of plan items (the model's rules, which the form uses) ---


@pytest.fixture
def programme(org):
    from programmes.models import Programme

    return Programme.objects.create(
        organisation=org.organisation,
        name="Right first time",
        vision="v",
        mission="m",
        why="w",
        starts_on="2026-01-01",
    )


def test_an_item_serves_an_item_exactly_one_level_up_in_the_same_programme(org, programme):
    from programmes.models import Programme

    mission = PlanItem.objects.create(programme=programme, level=1, title="Mission")
    identity = PlanItem.objects.create(
        programme=programme, level=2, title="Identity", serves=mission
    )
    PlanItem(programme=programme, level=3, title="ok", serves=identity).full_clean()
    with pytest.raises(ValidationError, match="exactly one level up"):
        PlanItem(programme=programme, level=4, title="skips", serves=identity).full_clean()
    with pytest.raises(ValidationError, match="top"):
        PlanItem(programme=programme, level=1, title="mission", serves=mission).full_clean()
    other = Programme.objects.create(
        organisation=org.organisation,
        name="Other",
        vision="v",
        mission="m",
        why="w",
        starts_on="2026-01-01",
    )
    with pytest.raises(ValidationError, match="another programme"):
        PlanItem(programme=other, level=2, title="elsewhere", serves=mission).full_clean()
    with pytest.raises(ValidationError, match="negative"):
        PlanItem(programme=programme, level=1, title="m", effort_hours=-1).full_clean()


def test_an_empty_plan_is_not_called_coherent():
    assert rules(coherence.diagnose([])) == [coherence.EMPTY_PLAN]
    dropped = item(Level.MISSION, status=PlanItemStatus.DROPPED)
    (finding,) = coherence.diagnose([dropped])
    assert finding.rule == coherence.EMPTY_PLAN
    assert "empty" in str(finding.title) and str(finding.fix)
