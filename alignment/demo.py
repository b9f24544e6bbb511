"""The demo organisation's values and two closed alignment rounds with answers (seed_demo).

Team sizes are chosen so that results show for most teams while Retouren (3 answers) is too
small: it rolls up into Logistiek, and Bezorging is hidden beside it so Retouren cannot be
worked out as Logistiek minus Bezorging.
"""

import datetime
import random

from django.utils import timezone

from alignment import batches, surveys
from alignment.models import AlignmentSurvey, AnswerSet, Participant, Value
from alignment.suppression import structure_of
from organisations.models import Membership, Team, User

VALUES = [
    (
        "Klant centraal",
        "We beginnen bij wat de klant nodig heeft, niet bij wat voor ons handig is.",
        "Je belt een klant terug voordat die het vraagt.",
    ),
    (
        "Eigenaarschap",
        "Wat we beginnen, maken we af.",
        "Je lost een klacht op of je brengt haar zelf bij wie dat kan.",
    ),
    (
        "Openheid",
        "We delen cijfers en fouten, ook als ze tegenvallen.",
        "Je bespreekt de NPS van je team in het werkoverleg.",
    ),
    (
        "Samen beter",
        "We leren van elkaar en van onze klanten.",
        "Je vraagt een collega om feedback op je aanpak.",
    ),
]

# Extra colleagues (no login) per team, so the teams reach realistic sizes.
EXTRA_PEOPLE = {
    "klantenservice-noord": ["Anouk", "Bas", "Chantal", "Dirk", "Esra", "Finn"],
    "klantenservice-zuid": ["Gijs", "Hatice", "Ilse", "Jesse"],
    "bezorging": ["Kees", "Linda", "Mohamed", "Nina", "Olaf"],
    "retouren": ["Priya"],
    "webwinkel": ["Quinten", "Rosa", "Stijn", "Tess"],
}

# How many answered in each round, per team.
ROUNDS = [
    ("Alignmentmeting voorjaar", 200, {"klantenservice-noord": 8, "klantenservice-zuid": 6,
                                       "bezorging": 7, "retouren": 3, "webwinkel": 5}),
    ("Alignmentmeting najaar", 40, {"klantenservice-noord": 9, "klantenservice-zuid": 6,
                                    "bezorging": 7, "retouren": 3, "webwinkel": 5}),
]  # fmt: skip
ROUND_DAYS = 14

# How much each team sees each value lived (mean on 1–5), in the first round; the second
# round is a little better where the programme put its effort (Openheid).
LIVED = {
    "klantenservice-noord": [4.1, 3.4, 2.6, 3.5],
    "klantenservice-zuid": [3.6, 3.0, 2.9, 3.8],
    "bezorging": [3.0, 3.8, 2.4, 3.1],
    "retouren": [2.8, 3.2, 2.2, 3.0],
    "webwinkel": [4.3, 3.9, 3.7, 4.0],
}
IMPORTANCE = [4.6, 4.2, 4.0, 4.3]
NEEDS = {"identity": 3.8, "purpose": 3.4, "direction": 2.7, "structure": 2.9, "energy": 3.3,
         "expression": 3.0, "autonomy": 3.1, "mastery": 3.6, "work_purpose": 3.9}  # fmt: skip
COMMENTS = [
    "Ik zie de klantcijfers nu elke week, dat helpt echt.",
    "Waar gaan we over een jaar staan? Dat is me niet duidelijk.",
    "Lars neemt goed de tijd voor onze ideeën.",
    "Te veel overleg, te weinig tijd voor klanten.",
    "De nieuwe werkwijze bij retouren kost ons veel dubbel werk.",
    "Fijn dat we zelf mogen kiezen hoe we de doelen halen.",
    "Bel me gerust: 06 12345678.",
    "Openheid over fouten is nog lastig in ons team.",
]


def seed_alignment(organisation) -> None:
    """Values, extra colleagues and two closed rounds with answers; safe to run again."""
    values = [
        Value.objects.update_or_create(
            organisation=organisation,
            name=name,
            defaults={"description": description, "behaviour": behaviour, "position": position},
        )[0]
        for position, (name, description, behaviour) in enumerate(VALUES)
    ]
    teams = {
        team.slug: team
        for team in Team.objects.in_organisation(organisation).select_related("department")
    }
    for slug, first_names in EXTRA_PEOPLE.items():
        for first_name in first_names:
            person, created = User.objects.get_or_create(
                username=f"demo-{first_name.lower()}",
                defaults={
                    "first_name": first_name,
                    "last_name": "Demo",
                    "email": f"{first_name.lower()}@demo.example",
                    "organisation": organisation,
                },
            )
            if created:
                person.set_unusable_password()
                person.save()
            Membership.objects.get_or_create(team=teams[slug], user=person)
    today = timezone.localdate()
    for number, (title, days_ago, answered) in enumerate(ROUNDS):
        opens_on = today - datetime.timedelta(days=days_ago)
        survey, _ = AlignmentSurvey.objects.get_or_create(
            organisation=organisation,
            title=title,
            defaults={
                "opens_on": opens_on,
                "closes_on": opens_on + datetime.timedelta(ROUND_DAYS),
                "min_group_size": organisation.min_group_size,
                "min_comment_group_size": organisation.min_comment_group_size,
                "structure": structure_of(teams.values()),
            },
        )
        survey.values.set(values)
        if AnswerSet.objects.filter(survey=survey).exists():
            continue
        _answer_round(survey, teams, values, answered, random.Random(number))  # noqa: S311
        batches.write_batch(survey.pk)  # the round has closed: its answers are written now


def _answer_round(survey, teams, values, answered, rng) -> None:
    def score(mean):
        return min(5, max(1, round(rng.gauss(mean, 0.8))))

    improvement = 0.0 if survey.title == ROUNDS[0][0] else 0.5
    comments = rng.sample(COMMENTS, len(COMMENTS))  # each said once a round, by somebody
    for slug, count in answered.items():
        team = teams[slug]
        members = list(
            User.objects.filter(memberships__team=team).order_by("-memberships__is_lead", "pk")
        )
        for index, person in enumerate(members):
            participant, _ = Participant.objects.get_or_create(
                survey=survey, person=person, defaults={"invited_on": survey.opens_on}
            )
            if index >= count:
                continue
            lived = LIVED[slug]
            surveys.store_answers(
                participant=participant,
                team=team,
                value_scores={
                    value.pk: (
                        score(IMPORTANCE[i]),
                        score(lived[i] + (improvement if value.name == "Openheid" else 0)),
                    )
                    for i, value in enumerate(values)
                },
                scores={key: score(mean + improvement / 2) for key, mean in NEEDS.items()},
                comment=comments.pop() if comments and rng.random() < 0.4 else "",
                at=survey.opens_at,  # the demo's rounds were answered while they were open
            )
