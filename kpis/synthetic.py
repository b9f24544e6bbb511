"""Realistic synthetic feedback for demos, load tests and benchmarks.

Rows come out in the CSV/API shape and go in through the same validation and bulk ingest as
imported files. The same seed always gives the same rows (and the same external ids, so
generating twice stores them once).
"""

import datetime as dt
import functools
import itertools
import math
import random
import zoneinfo

from django.db import connection, transaction
from django.utils import timezone

from feedback import ingest
from feedback.models import DirtyMark, Interaction, Source, Theme
from feedback.rows import RowValidator
from feedback.themes import ThemeMatcher
from organisations import bulk, clock, conflicts

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


def _interaction_draws(scene, seed, interactions):
    """(number, customer ref, team slug, local moment, went wrong) of each interaction: the one
    sequence of draws behind both ``generate_interactions`` and ``load_interactions``."""
    rng = random.Random(f"{seed}:interactions")  # noqa: S311 - repeatable test data
    error_rate = {slug: profile["error_rate"] for slug, profile in scene.profiles.items()}
    customer, moment, draw = scene.customer, scene.moment, rng.random
    for n in range(interactions):
        ref, team = customer(rng)
        when, _progress = moment(rng)
        yield n, ref, team, when, draw() < error_rate[team]


def generate_interactions(organisation, *, responses, interactions, days, seed, end=None):
    """Interaction rows in the CSV/API shape, one at a time, for the same customers and teams
    as ``generate_responses`` with the same arguments."""
    scene = _Scene(
        organisation, responses=responses, interactions=interactions, days=days, seed=seed, end=end
    )
    for n, ref, team, when, is_error in _interaction_draws(scene, seed, interactions):
        yield {
            "team": team,
            "customer_ref": ref,
            "occurred_at": _local_text(when),
            "is_error": is_error,
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


# Customers come back (a Pareto-shaped pool): most hashes are asked for again soon.
HASH_CACHE = 1 << 18
LOAD_CHUNK = 500_000


def load_interactions(organisation, *, responses, interactions, days, seed, end=None) -> int:
    """Store what ``store_generated(generate_interactions(...))`` would store, straight from the
    draws into PostgreSQL's COPY: no row dict, no parsing back of the text it was written as,
    no formatting value by value. The benchmarks' way to load tens of millions of rows.

    The same rules as the API's path where they make a value (the organisation's customer
    hash from ``RowValidator``, local days from the organisation's clock, locks and dirty
    marks of ``feedback.ingest``); the checks are left out because generated rows pass them by
    construction (tests/test_kpis_synthetic.py holds both ways to the same stored rows). No
    check for rows stored already either: storing a seed's rows twice fails on the unique
    external ids (``store_generated`` skips them instead). Commits every LOAD_CHUNK rows;
    returns how many were stored."""
    if connection.vendor != "postgresql":
        raise RuntimeError("loading by COPY needs PostgreSQL; use store_generated")
    scene = _Scene(
        organisation, responses=responses, interactions=interactions, days=days, seed=seed, end=end
    )
    validator = RowValidator(organisation, "interactions")
    hash_ref = functools.lru_cache(maxsize=HASH_CACHE)(validator.hash_ref)
    draws = _interaction_draws(scene, seed, interactions)
    stored = 0
    while stored < interactions:
        chunk = itertools.islice(draws, LOAD_CHUNK)  # drawn while COPY sends, never all at once
        stored += _copy_interactions(organisation, chunk, validator.teams, hash_ref, seed)
    return stored


@transaction.atomic
def _copy_interactions(organisation, draws, team_ids, hash_ref, seed) -> int:
    """One transaction of ``load_interactions``: the rows in ``feedback.ingest``'s columns, and
    the dirty marks of their days; returns how many rows."""
    conflicts.take_turns_on_external_ids(organisation, [f"gen-{seed}"])
    day_of = clock.local_day(clock.zone_for_stamping(organisation))
    touched = set()
    head = f"{organisation.pk}\t"
    tail = f"\t{Source.GENERATED}\t{bulk.NULL}\t{timezone.now().isoformat()}"

    count = 0

    def lines():
        nonlocal count
        for n, ref, team, when, is_error in draws:
            count += 1
            team_id = team_ids[team]
            day = day_of(when)
            touched.add((team_id, day))
            yield (
                f"{head}{team_id}\t{hash_ref(ref)}\t{when.isoformat()}\t{day}\t"
                f"{'t' if is_error else 'f'}\t\tgen-{seed}-i{n}{tail}"
            )

    bulk.copy_lines(Interaction._meta.db_table, ingest.INTERACTION_FIELDS, lines())
    DirtyMark.objects.mark(organisation, touched, later_periods=True)
    return count
