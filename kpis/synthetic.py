"""Realistic synthetic feedback for demos, load tests and benchmarks.

Rows come out in the CSV/API shape and go in through the same validation and bulk ingest as
imported files. The same seed always gives the same rows (and the same external ids, so
generating twice stores them once).
"""

import datetime as dt
import itertools
import math
import random
import zoneinfo

from feedback import ingest
from feedback.models import Source, Theme
from feedback.rows import RowValidator
from feedback.themes import ThemeMatcher

DEMO_THEMES = {
    "Wachttijd": "wachttijd, wachten, lang gewacht, waiting, queue",
    "Bereikbaarheid": "bereikbaar, telefoon, niet opgenomen, reach, phone",
    "Vriendelijkheid": "vriendelijk, behulpzaam, friendly, helpful, onbeleefd, rude",
    "Bezorging": "bezorg, pakket, levering, delivery, parcel",
    "Prijs": "prijs, duur, kosten, price, expensive",
}


def add_demo_themes(organisation) -> None:
    """The demo's themes (DEMO_THEMES), for the demo and for the benchmark's organisation, so
    the comments it generates get tagged the way the demo's are."""
    for name, keywords in DEMO_THEMES.items():
        Theme.objects.get_or_create(
            organisation=organisation, name=name, defaults={"keywords": keywords}
        )


COMMENTS = {
    "promoter": [
        ("nl", "Heel vriendelijk en behulpzaam, binnen vijf minuten geholpen."),
        ("nl", "Pakket kwam een dag eerder dan beloofd, top!"),
        ("nl", "Snel antwoord via de chat, precies wat ik nodig had."),
        ("nl", "De medewerker dacht echt met me mee."),
        ("en", "Friendly staff and quick delivery, thank you."),
        ("en", "Very helpful, solved my problem in one call."),
    ],
    "passive": [
        ("nl", "Prima, maar de wachttijd aan de telefoon was wat lang."),
        ("nl", "Goed geholpen, de prijs van de verzending vind ik wel hoog."),
        ("nl", "Levering op tijd, verpakking was beschadigd."),
        ("en", "Fine overall, the queue on the phone was long."),
        ("en", "Good service but a bit expensive."),
    ],
    "detractor": [
        ("nl", "Drie keer gebeld en niemand heeft opgenomen, slecht bereikbaar."),
        ("nl", "Lang gewacht op mijn pakket en geen bericht gekregen."),
        ("nl", "Onbeleefd te woord gestaan aan de balie."),
        ("nl", "Veel te duur voor wat je krijgt, en de bezorging was te laat."),
        ("nl", "Na twee weken wachten nog steeds geen antwoord op mijn klacht."),
        ("en", "Waited 40 minutes in the queue and got cut off."),
        ("en", "Delivery was late again and nobody could tell me why."),
        ("en", "Rude answer on the phone, not coming back."),
    ],
}


def _team_profiles(rng, teams):
    """Each team its own level, trend and error rate, so the board has something to compare."""
    return {
        team.slug: {
            "level": rng.uniform(-0.15, 0.2),
            "trend": rng.uniform(-0.1, 0.15),
            "season": rng.uniform(0, 2 * math.pi),
            "error_rate": rng.uniform(0.02, 0.12),
            "volume": rng.uniform(0.5, 1.5),
        }
        for team in teams
    }


def _moment(rng, start, days, zone):
    """A time during opening hours, fewer on Sundays."""
    while True:
        day = start + dt.timedelta(days=rng.randrange(days))
        if day.weekday() == 6 and rng.random() < 0.7:
            continue
        local = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=rng.randrange(12 * 60))
        return local.replace(tzinfo=zone), (day - start).days / max(days - 1, 1)


def _score(rng, profile, progress):
    shift = (
        profile["level"]
        + profile["trend"] * progress
        + 0.05 * math.sin(profile["season"] + 2 * math.pi * progress)
    )
    promoters = min(max(0.42 + shift, 0.05), 0.9)
    detractors = min(max(0.22 - shift / 1.5, 0.03), 0.8)
    draw = rng.random()
    if draw < promoters:
        return rng.choice((9, 10, 10)), "promoter"
    if draw < promoters + detractors:
        return rng.choice((0, 2, 3, 4, 5, 5, 6, 6, 6)), "detractor"
    return rng.choice((7, 8, 8)), "passive"


class _Scene:
    """What both streams of one seed share: the teams, their profiles and the customers."""

    def __init__(self, organisation, *, responses, interactions, days, seed, end):
        self.rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
        self.seed = seed
        self.teams = list(organisation.teams.order_by("slug"))
        if not self.teams:
            raise ValueError("the organisation has no teams")
        self.zone = zoneinfo.ZoneInfo(organisation.time_zone)
        end = end or dt.datetime.now(self.zone).date() - dt.timedelta(days=1)
        self.days = days
        self.start = end - dt.timedelta(days=days - 1)
        self.profiles = _team_profiles(self.rng, self.teams)
        self.weights = [self.profiles[team.slug]["volume"] for team in self.teams]
        # A pool of customers, each mostly served by one team: some come back, most don't.
        self.pool = max(1, (responses + interactions) // 3)
        self.home_team = [
            self.rng.choices(self.teams, self.weights)[0].slug
            for _ in range(min(self.pool, 200_000))
        ]

    def customer(self, rng):
        pool = self.pool
        number = int(rng.paretovariate(1.2)) % pool if rng.random() < 0.6 else rng.randrange(pool)
        team = self.home_team[number % len(self.home_team)]
        if rng.random() < 0.15:
            team = rng.choices(self.teams, self.weights)[0].slug
        return f"K{self.seed}-{number:07d}", team

    def moment(self, rng):
        return _moment(rng, self.start, self.days, self.zone)


def _local_text(moment) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")


def generate_responses(organisation, *, responses, interactions, days, seed, end=None):
    """Response rows in the CSV/API shape, one at a time: any number fits in memory.
    ``interactions`` is the size of the other stream, which sets how many customers there are."""
    scene = _Scene(
        organisation, responses=responses, interactions=interactions, days=days, seed=seed, end=end
    )
    rng = scene.rng
    for n in range(responses):
        ref, team = scene.customer(rng)
        when, progress = scene.moment(rng)
        score, category = _score(rng, scene.profiles[team], progress)
        comment = ""
        if rng.random() < (0.6 if category == "detractor" else 0.35):
            _language, comment = rng.choice(COMMENTS[category])
        yield {
            "team": team,
            "score": score,
            "comment": comment,
            "customer_ref": ref,
            "submitted_at": _local_text(when),
            "external_id": f"gen-{seed}-r{n}",
        }


def generate_interactions(organisation, *, responses, interactions, days, seed, end=None):
    """Interaction rows in the CSV/API shape, one at a time, for the same customers and teams
    as ``generate_responses`` with the same arguments."""
    scene = _Scene(
        organisation, responses=responses, interactions=interactions, days=days, seed=seed, end=end
    )
    rng = random.Random(f"{seed}:interactions")  # noqa: S311 - repeatable test data
    for n in range(interactions):
        ref, team = scene.customer(rng)
        when, _progress = scene.moment(rng)
        yield {
            "team": team,
            "customer_ref": ref,
            "occurred_at": _local_text(when),
            "is_error": rng.random() < scene.profiles[team]["error_rate"],
            "external_id": f"gen-{seed}-i{n}",
        }


def generate_rows(organisation, *, responses, interactions, days, seed, end=None):
    """Return (response rows, interaction rows) as lists: for small amounts."""
    sizes = {"responses": responses, "interactions": interactions, "days": days, "seed": seed}
    return (
        list(generate_responses(organisation, **sizes, end=end)),
        list(generate_interactions(organisation, **sizes, end=end)),
    )


def chunks(rows, size):
    """Lists of up to ``size`` rows from any iterable."""
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def store_generated(organisation, kind, rows, *, chunk=50_000):
    """Validate and store generated rows (any iterable) in chunks, each all or nothing, so
    memory stays bounded however many there are."""
    validator = RowValidator(organisation, kind)
    matcher = ThemeMatcher.for_organisation(organisation) if kind == "responses" else None
    created = duplicates = 0
    number = 0
    for batch in chunks(rows, chunk):
        clean = []
        for row in batch:
            number += 1
            good, errors = validator.validate(row, number)
            if errors:
                raise ValueError(f"generated an invalid row: {errors}")
            clean.append(good)
        if kind == "responses":
            result = ingest.store_responses(
                organisation, clean, source=Source.GENERATED, matcher=matcher
            )
        else:
            result = ingest.store_interactions(organisation, clean, source=Source.GENERATED)
        created += result.created
        duplicates += result.duplicates
    return created, duplicates
