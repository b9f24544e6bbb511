"""The coherence diagnosis of a seven-level plan: pure functions over its items and targets.

The plan is worked top-down (seeds, "seven levels"): every item serves one a level up, no
level is worked while the level above is empty, effort does not pile up in *context* while
values and identity are thin (the bottom-up trap), every target has plan items behind it, and
the teams' ideas are not only about context.
Items are anything with ``pk``, ``level``, ``serves_id``, ``status``, ``effort_hours`` and
``effort_money``; targets anything with ``pk``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from levels.models import Level, PlanItemStatus

ORPHAN = "orphan"
LEVEL_ABOVE_EMPTY = "level_above_empty"
BOTTOM_UP_TRAP = "bottom_up_trap"
TARGET_WITHOUT_PLAN = "target_without_plan"
IDEAS_ONLY_CONTEXT = "ideas_only_context"
EMPTY_PLAN = "empty_plan"

# The bottom-up trap: at least this share of the effort (hours or money) in context while
# identity and values together get less than THIN_SHARE of it.
TRAP_CONTEXT_SHARE = Decimal("0.5")
THIN_SHARE = Decimal("0.15")

# Ideas only about context: at least this many ideas with a level, most of them (this share)
# about context, and none about identity or values.
IDEAS_MIN = 4
IDEAS_CONTEXT_SHARE = Decimal("0.5")

LEVELS = [level.value for level in Level]


@dataclass(frozen=True)
class Finding:
    rule: str
    level: int | None = None
    items: tuple = ()
    targets: tuple = ()
    detail: dict = field(default_factory=dict)

    @property
    def title(self):
        if self.rule == ORPHAN:
            return _("“%(item)s” serves nothing above it") % {"item": self.items[0].title}
        if self.rule == LEVEL_ABOVE_EMPTY:
            return _("%(level)s is worked while %(above)s is still empty") % {
                "level": Level(self.level).label,
                "above": Level(self.level - 1).label,
            }
        if self.rule == BOTTOM_UP_TRAP:
            return _("The bottom-up trap: effort piles up in context")
        if self.rule == IDEAS_ONLY_CONTEXT:
            return _("The teams’ ideas are only about context")
        if self.rule == EMPTY_PLAN:
            return _("The plan is empty: nothing is planned on any level")
        return _("A target has no plan item behind it: %(target)s") % {"target": self.targets[0]}

    @property
    def explanation(self):
        if self.rule == ORPHAN:
            return _(
                "Every item is there for an item one level up, up to the mission. This one is "
                "not linked, so nobody can see what it is for."
            )
        if self.rule == LEVEL_ABOVE_EMPTY:
            return _(
                "Change works top-down: each level gives the level below its reason. Without "
                "%(above)s, the items here have nothing to serve."
            ) % {"above": Level(self.level - 1).label}
        if self.rule == BOTTOM_UP_TRAP:
            return (
                _(
                    "%(context)s%% of the %(unit)s goes to structure, processes and systems, and "
                    "only %(top)s%% to identity and values. New systems and procedures rarely "
                    "change what people believe and do; that is why such programmes stall."
                )
                % self.detail
            )
        if self.rule == IDEAS_ONLY_CONTEXT:
            return (
                _(
                    "%(context)s of the %(total)s ideas are about structure, processes and "
                    "systems, and none about identity or values. People propose what they "
                    "were asked for: fixes to the context, not what the team stands for."
                )
                % self.detail
            )
        if self.rule == EMPTY_PLAN:
            return _(
                "With no items there is nothing to check: an empty plan is not a coherent one. "
                "Nobody can follow an action to the mission when there are no actions."
            )
        return _(
            "Nobody has planned what will move this figure; a target without a plan is a wish."
        )

    @property
    def fix(self):
        if self.rule == ORPHAN:
            return _(
                "Link it to the %(above)s item it serves, or drop it if it serves nothing."
            ) % {"above": Level(self.items[0].level - 1).label}
        if self.rule == LEVEL_ABOVE_EMPTY:
            return _(
                "Define %(above)s first, then link these items to it, or move them up a level."
            ) % {"above": Level(self.level - 1).label}
        if self.rule == BOTTOM_UP_TRAP:
            return _(
                "State the identity and the values first and plan work on them (what do we "
                "believe about customers?); then let the context follow from them."
            )
        if self.rule == IDEAS_ONLY_CONTEXT:
            return _(
                "Share the why and the values with the teams and ask them how they would live "
                "them with customers (“what would we do if we really believed this?”); link "
                "ideas to the identity and value items of the plan."
            )
        if self.rule == EMPTY_PLAN:
            return _(
                "Start at the top: state the mission and the identity, then add items level by "
                "level, each serving one above it."
            )
        return _("Link the plan items that will move it (usually behaviour or skills), or add one.")


def _active(items):
    return [item for item in items if item.status != PlanItemStatus.DROPPED]


def diagnose(
    items: Iterable,
    targets: Iterable = (),
    targets_with_plan=frozenset(),
    ideas_per_level: dict | None = None,
) -> list:
    """Every finding for the plan, top-down: a plan with no active item at all, empty levels
    above worked ones, unlinked items, the bottom-up trap, targets (not in
    ``targets_with_plan``, a set of target ids that have an active plan item) with no plan
    behind them, and the teams' ideas (``{level: count}``) only about context."""
    items = _active(items)
    by_level = {level: [item for item in items if item.level == level] for level in LEVELS}
    findings = [] if items else [Finding(EMPTY_PLAN)]
    empty_above = set()
    for level in LEVELS[1:]:
        if by_level[level] and not by_level[level - 1]:
            empty_above.add(level)
            findings.append(Finding(LEVEL_ABOVE_EMPTY, level=level, items=tuple(by_level[level])))
    findings.extend(
        Finding(ORPHAN, level=item.level, items=(item,))
        for item in items
        if item.level > Level.MISSION and item.serves_id is None and item.level not in empty_above
    )
    trap = bottom_up_trap(items)
    if trap is not None:
        findings.append(trap)
    findings.extend(
        Finding(TARGET_WITHOUT_PLAN, targets=(target,))
        for target in targets
        if target.pk not in targets_with_plan
    )
    ideas = ideas_only_context(ideas_per_level or {})
    if ideas is not None:
        findings.append(ideas)
    return findings


def ideas_only_context(per_level: dict) -> Finding | None:
    """Most ideas (at least half of at least IDEAS_MIN) about context while identity and values
    have none: the teams fix the context because nobody asked them about the rest."""
    total = sum(per_level.values())
    context = per_level.get(Level.CONTEXT, 0)
    top = per_level.get(Level.IDENTITY, 0) + per_level.get(Level.VALUES, 0)
    if total < IDEAS_MIN or top or Decimal(context) < IDEAS_CONTEXT_SHARE * total:
        return None
    return Finding(
        IDEAS_ONLY_CONTEXT, level=Level.CONTEXT, detail={"context": context, "total": total}
    )


@dataclass(frozen=True)
class LevelEffort:
    level: int
    label: str
    items: int
    hours: Decimal
    money: Decimal
    hours_share: Decimal
    money_share: Decimal


def effort_by_level(items: Iterable) -> list[LevelEffort]:
    """Items, hours and money per level, with each level's share of the whole (0..1)."""
    items = _active(items)
    hours = {level: Decimal(0) for level in LEVELS}
    money = {level: Decimal(0) for level in LEVELS}
    counts = dict.fromkeys(LEVELS, 0)
    for item in items:
        counts[item.level] += 1
        hours[item.level] += item.effort_hours or 0
        money[item.level] += item.effort_money or 0
    total_hours, total_money = sum(hours.values()), sum(money.values())
    return [
        LevelEffort(
            level=level,
            label=Level(level).label,
            items=counts[level],
            hours=hours[level],
            money=money[level],
            hours_share=hours[level] / total_hours if total_hours else Decimal(0),
            money_share=money[level] / total_money if total_money else Decimal(0),
        )
        for level in LEVELS
    ]


def bottom_up_trap(items: Iterable) -> Finding | None:
    """Context holds at least half the hours (or money) while identity and values together
    hold less than 15% of it."""
    efforts = {effort.level: effort for effort in effort_by_level(items)}
    context = efforts[Level.CONTEXT]
    top = (efforts[Level.IDENTITY], efforts[Level.VALUES])
    for unit, share in (("hours", "hours_share"), ("money", "money_share")):
        context_share = getattr(context, share)
        top_share = sum(getattr(effort, share) for effort in top)
        if context_share >= TRAP_CONTEXT_SHARE and top_share < THIN_SHARE:
            return Finding(
                BOTTOM_UP_TRAP,
                level=Level.CONTEXT,
                detail={
                    "context": round(100 * context_share),
                    "top": round(100 * top_share),
                    "unit": _("hours") if unit == "hours" else _("money"),
                },
            )
    return None
