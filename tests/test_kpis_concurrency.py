"""Writers that meet on PostgreSQL: a rebuild beside incremental updates and new rows, overlapping
batches from many clients, and a deadlock, which is tried again instead of failing. After each,
rows are stored once and the rollups equal an independent recomputation."""

import random
import threading

import pytest
from django.db import IntegrityError, connections, transaction
from django.test import Client

from feedback.ingest import validate_and_store
from feedback.models import DirtyMark, Interaction, Response, Theme
from kpis import rollups
from kpis.models import ThemeRollup
from organisations import conflicts
from tests import rollup_oracle
from tests.test_kpis_rollups import rollup_rows, theme_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_postgresql")]


def in_threads(*jobs):
    """Run the callables at once, each on its own connection; re-raise the first error."""
    errors = []
    start = threading.Barrier(len(jobs))

    def run(job):
        try:
            start.wait()
            job()
        except Exception as exc:  # re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]


def responses(first, count, day=3):
    return [
        {
            "team": random.choice(["alpha", "beta", "gamma"]),
            "score": n % 11,
            "comment": "lang gewacht" if n % 3 else "vriendelijk",
            "customer_ref": f"C{n % 40}",
            "submitted_at": f"2026-03-{day + n % 20:02d} 10:00",
            "external_id": f"r{n}",
        }
        for n in range(first, first + count)
    ]


def settle(organisation):
    while rollups.recompute_dirty(organisation):
        pass


def test_a_theme_rollup_cannot_be_stored_twice(org):
    theme = Theme.objects.create(organisation=org.organisation, name="Wachttijd", keywords="x")
    fields = {"organisation": org.organisation, "theme": theme, "kind": "month"}
    for team in (org.team_a, None):
        ThemeRollup.objects.create(team=team, period_start="2026-03-01", mentions=1, **fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            ThemeRollup.objects.create(team=team, period_start="2026-03-01", mentions=1, **fields)


def test_a_rebuild_beside_incremental_updates_and_new_rows_leaves_no_doubled_theme_counts(org):
    organisation = org.organisation
    Theme.objects.create(organisation=organisation, name="Wachttijd", keywords="gewacht")
    validate_and_store(organisation, "responses", responses(0, 300), source="api")

    def rebuild_again_and_again():
        for _ in range(4):
            rollups.rebuild(organisation)

    def write_and_recompute():
        for batch in range(6):
            validate_and_store(
                organisation, "responses", responses(300 + 50 * batch, 50), source="api"
            )
            settle(organisation)

    in_threads(rebuild_again_and_again, write_and_recompute, lambda: settle(organisation))
    settle(organisation)
    assert not DirtyMark.objects.exists()
    assert theme_rows(organisation) == rollup_oracle.themes(organisation)
    expected = [row for row in rollup_oracle.rollups(organisation) if any(row[3:])]
    assert rollup_rows(organisation) == expected


def test_overlapping_batches_from_many_clients_are_stored_once_without_a_500(org, api_token):
    ids = [f"o{n}" for n in range(400)]

    def client_sending_overlapping_batches(seed):
        def send():
            rng = random.Random(seed)
            caller = Client(raise_request_exception=False)
            for _batch in range(4):
                chosen = rng.sample(ids, 120)
                rows = [
                    {
                        "team": ["alpha", "beta"][int(i[1:]) % 2],
                        "customer_ref": f"C{int(i[1:]) % 30}",
                        "occurred_at": f"2026-04-{1 + int(i[1:]) % 25:02d} 09:00",
                        "is_error": int(i[1:]) % 7 == 0,
                        "external_id": i,
                    }
                    for i in (sorted(chosen) if seed % 2 else chosen)
                ]
                answer = caller.post(
                    "/api/v1/interactions",
                    rows,
                    content_type="application/json",
                    headers={"authorization": f"Bearer {api_token}"},
                )
                statuses.append(answer.status_code)

        return send

    statuses = []
    in_threads(*(client_sending_overlapping_batches(seed) for seed in range(8)))
    assert set(statuses) == {200}, statuses
    stored = list(Interaction.objects.values_list("external_id", flat=True))
    assert len(stored) == len(set(stored))  # nothing doubled
    settle(org.organisation)
    expected = [row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])]
    assert rollup_rows(org.organisation) == expected


def test_a_transaction_that_lost_a_deadlock_is_tried_again(org):
    first, second = org.team_a, org.team_b
    tries = []
    both_locked_one = threading.Barrier(2)

    @conflicts.retried
    @transaction.atomic
    def rename(one, other):
        tries.append(one.slug)
        type(one).objects.select_for_update().get(pk=one.pk)
        if tries.count(one.slug) == 1:
            both_locked_one.wait(10)  # the first time, each holds one row the other wants
        type(one).objects.filter(pk=other.pk).update(name=f"{other.name}!")

    in_threads(lambda: rename(first, second), lambda: rename(second, first))
    assert len(tries) == 3  # PostgreSQL threw one away; it ran again and succeeded
    assert Response.objects.count() == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.name.endswith("!") and second.name.endswith("!")
