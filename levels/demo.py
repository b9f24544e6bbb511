"""The demo programme's seven-level plan for ``seed_demo``: items on all seven levels, each
serving one a level up, linked to the targets they work towards, and one deliberate
incoherence (an item at the context level that serves nothing) for the diagnosis to find.
Safe to run again and again."""

import datetime as dt
from decimal import Decimal

from levels.models import PlanItem, PlanItemStatus
from organisations import clock
from organisations.models import User
from programmes.models import Target

# key, level, title, serves (key), owner (username), status, hours, euros
ITEMS = [
    (
        "m1",
        1,
        "Klanten komen terug omdat het in één keer goed gaat",
        None,
        "manager",
        PlanItemStatus.IN_PROGRESS,
        None,
        None,
    ),
    ("i1", 2, "Wij doen het in één keer goed", "m1", "manager", PlanItemStatus.DONE, 40, 6000),
    (
        "i2",
        2,
        "Wij zijn persoonlijk en dichtbij",
        "m1",
        "manager",
        PlanItemStatus.PLANNED,
        24,
        None,
    ),
    (
        "v1",
        3,
        "Een fout melden is leren, niet falen",
        "i1",
        "hr",
        PlanItemStatus.IN_PROGRESS,
        60,
        10000,
    ),
    ("v2", 3, "De klant merkt wat wij verbeteren", "i2", "hr", PlanItemStatus.PLANNED, 32, None),
    (
        "c1",
        4,
        "Oorzaken van fouten vinden en wegnemen",
        "v1",
        "lead",
        PlanItemStatus.IN_PROGRESS,
        80,
        None,
    ),
    (
        "c2",
        4,
        "Gesprekken voeren die vertrouwen geven",
        "v2",
        "fleur",
        PlanItemStatus.PLANNED,
        60,
        None,
    ),
    (
        "s1",
        5,
        "Teams analyseren hun eigen klantfeedback",
        "c1",
        "lead",
        PlanItemStatus.IN_PROGRESS,
        120,
        None,
    ),
    (
        "s2",
        5,
        "Doorvragen en samenvatten aan de telefoon",
        "c2",
        "fleur",
        PlanItemStatus.PLANNED,
        80,
        12000,
    ),
    (
        "b1",
        6,
        "Elke week bespreekt het team de feedback van klanten",
        "s1",
        "lead",
        PlanItemStatus.IN_PROGRESS,
        100,
        None,
    ),
    (
        "b2",
        6,
        "Klanten die een 0 tot 6 gaven binnen twee werkdagen terugbellen",
        "s2",
        "lead",
        PlanItemStatus.PLANNED,
        60,
        None,
    ),
    (
        "x1",
        7,
        "Klantfeedback per team zichtbaar op een scherm",
        "b1",
        "ruben",
        PlanItemStatus.DONE,
        160,
        15000,
    ),
    (
        "x2",
        7,
        "Terugbelafspraken vastleggen in het CRM",
        "b2",
        "thijs",
        PlanItemStatus.PLANNED,
        80,
        5000,
    ),
    # The deliberate incoherence: a new system that serves no behaviour above it.
    ("x3", 7, "Nieuw ticketsysteem", None, "ruben", PlanItemStatus.PLANNED, 200, 45000),
]

# A target's "what for" -> the plan items behind it.
TARGET_PLAN = {
    "Klanten bevelen ons aan omdat we terugbellen": ["b2", "s2"],
    "Klanten voelen zich in één gesprek geholpen": ["b2", "s2"],
    "Foutmeldingen naar 5%": ["b1", "x1"],
    "Klanten komen terug": ["b1"],
}


def seed_plan(programme) -> None:
    organisation = programme.organisation
    today = clock.local_today(organisation)
    people = {person.username: person for person in User.objects.in_organisation(organisation)}
    items = {}
    for key, level, title, serves, owner, status, hours, euros in ITEMS:
        items[key], _ = PlanItem.objects.update_or_create(
            programme=programme,
            level=level,
            title=title,
            defaults={
                "serves": items.get(serves),
                "owner": people.get(owner),
                "status": status,
                "effort_hours": None if hours is None else Decimal(hours),
                "effort_money": None if euros is None else Decimal(euros),
                "due_on": dt.date(today.year, 12, 31) if level >= 5 else None,
            },
        )
    for target in Target.objects.filter(programme=programme):
        keys = TARGET_PLAN.get(target.what_for)
        if keys is not None:
            target.plan_items.set([items[key] for key in keys])
