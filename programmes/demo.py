"""The demo organisation's change programme for ``seed_demo``: why, needs, targets and updates
(its seven-level plan is seeded by ``levels.demo``). Safe to run again and again."""

import datetime as dt

from django.utils import timezone

from kpis.metrics import Metric
from organisations import clock
from organisations.clock import local_today
from organisations.models import Team, User
from programmes.models import (
    Clarity,
    GoalKind,
    Need,
    NeedStatement,
    Programme,
    ProgrammeStatus,
    Target,
    Update,
    UpdateKind,
)

CURRENT = "Goed in één keer"
EARLIER = "Klant centraal 2024"

NEEDS = {
    Need.IDENTITY: (
        "Wij zijn de klantenservice die het in één keer goed doet, ook als het ingewikkeld is.",
        Clarity.CLEAR,
    ),
    Need.PURPOSE: (
        "Klanten komen terug omdat ze op ons kunnen rekenen: minder fouten, minder gedoe.",
        Clarity.CLEAR,
    ),
    Need.DIRECTION: (
        "In 2026 halveren we de foutmeldingen en stijgt onze NPS met 8 punten.",
        Clarity.PARTLY,
    ),
    Need.STRUCTURE: (
        "Teams sturen zichzelf op hun eigen klantcijfers; het management zorgt voor ruimte.",
        Clarity.PARTLY,
    ),
    Need.ENERGY: ("We halen energie uit klanten die blij verrast zijn.", Clarity.VAGUE),
    Need.EXPRESSION: ("", Clarity.NOT_STATED),
}

# team slug (None: the organisation), metric, goal kind, amount, months of baseline ago,
# what for
TARGETS = [
    (
        "klantenservice-noord",
        Metric.NPS,
        GoalKind.CHANGE,
        8,
        3,
        "Klanten bevelen ons aan omdat we terugbellen",
    ),
    (
        "klantenservice-zuid",
        Metric.NPS,
        GoalKind.CHANGE,
        8,
        6,
        "Klanten voelen zich in één gesprek geholpen",
    ),
    (
        None,
        Metric.ERROR_RATE,
        GoalKind.ABSOLUTE,
        5,
        2,
        "Foutmeldingen naar 5%",
    ),
    (
        "bezorging",
        Metric.RETURNING_RATE,
        GoalKind.CHANGE,
        5,
        2,
        "Klanten komen terug",
    ),
]

UPDATES = [
    (
        UpdateKind.RESULTS,
        "De foutmeldingen dalen",
        None,
        20,
        "Sinds de teams wekelijks hun klantfeedback bespreken, zijn er minder foutmeldingen. "
        "Dank aan iedereen die meedenkt. Op de pagina Doelen zie je per team hoe het gaat.",
    ),
    (
        UpdateKind.EXPECTATIONS,
        "Wat we van elkaar verwachten",
        None,
        12,
        "Bel een klant die een 0 tot 6 gaf binnen twee werkdagen terug. Niet om te verdedigen, "
        "maar om te begrijpen wat er misging.",
    ),
    (
        UpdateKind.PLANS,
        "Terugbellen wordt makkelijker",
        "klantenservice-noord",
        4,
        "Volgende maand leggen we terugbelafspraken vast in het CRM. Lars vraagt jullie ideeën: "
        "wat moet erin om het jullie makkelijker te maken?",
    ),
]


def seed_programme(organisation) -> Programme:
    today = local_today(organisation)
    people = {person.username: person for person in User.objects.in_organisation(organisation)}
    teams = {team.slug: team for team in Team.objects.in_organisation(organisation)}
    Programme.objects.update_or_create(
        organisation=organisation,
        name=EARLIER,
        defaults={
            "vision": "Klanten voelen zich gehoord.",
            "mission": "Wij helpen klanten snel verder.",
            "why": "Meer klanttevredenheid.",
            "starts_on": dt.date(today.year - 2, 1, 1),
            "ends_on": dt.date(today.year - 2, 12, 31),
            "status": ProgrammeStatus.COMPLETED,
            "is_current": False,
        },
    )
    programme, _ = Programme.objects.update_or_create(
        organisation=organisation,
        name=CURRENT,
        defaults={
            "vision": "Klanten hoeven ons maar één keer te bellen: dan is het goed geregeld.",
            "mission": "Wij zorgen dat klanten zonder gedoe krijgen wat ze nodig hebben.",
            "why": "Foutmeldingen van 10% naar 5% en een NPS die 8 punten stijgt, zodat klanten "
            "terugkomen omdat het in één keer goed gaat.",
            "urgency_competitors": "Nieuwe webwinkels lossen vragen binnen een uur op; klanten "
            "vergelijken ons met hen.",
            "urgency_technology": "Klanten verwachten dat we weten wat ze eerder vroegen, in elk "
            "kanaal.",
            "urgency_ambition": "Wij willen de klantenservice zijn waar mensen graag werken en "
            "klanten graag terugkomen.",
            "starts_on": dt.date(today.year, 1, 1),
            "ends_on": dt.date(today.year + 1, 6, 30),
            "status": ProgrammeStatus.RUNNING,
        },
    )
    programme.make_current()
    for need, (statement, clarity) in NEEDS.items():
        NeedStatement.objects.update_or_create(
            programme=programme,
            need=need,
            defaults={"statement": statement, "clarity": clarity},
        )
    for slug, metric, kind, amount, months_ago, what_for in TARGETS:
        start = clock.period_start(today, clock.MONTH)
        for _i in range(months_ago):
            start = clock.previous_start(start, clock.MONTH)
        Target.objects.update_or_create(
            organisation=organisation,
            team=teams.get(slug),
            metric=metric,
            programme=programme,
            defaults={
                "period": clock.MONTH,
                "baseline_start": start,
                "goal_kind": kind,
                "goal_amount": amount,
                "due_on": dt.date(today.year, 12, 31)
                if today.month < 10
                else dt.date(today.year + 1, 6, 30),
                "what_for": what_for,
                "created_by": people.get("manager"),
            },
        )
    for kind, title, slug, days_ago, body in UPDATES:
        update, _ = Update.objects.get_or_create(
            organisation=organisation,
            title=title,
            defaults={
                "programme": programme,
                "kind": kind,
                "body": body,
                "author": people.get("manager"),
                "published_at": timezone.now() - dt.timedelta(days=days_ago),
            },
        )
        update.teams.set([teams[slug]] if slug else [])
    return programme
