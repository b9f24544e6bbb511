"""The version of an organisation's rollups: a number that every write of them raises in the
same transaction, so that whatever is cached from the figures (the team page's figures) can be
keyed by it and is never shown after the rollups behind it changed.

Read the version *before* the figures: a cache filled from figures read after a write has
the version from before it, which no reader asks for again; the other order could file old
figures under the new version."""

import uuid

from django.db import connection

from kpis.models import RollupVersion

TABLE = RollupVersion._meta.db_table


def bump(organisation) -> None:
    """Raise the organisation's rollup version, in the running transaction (one statement;
    its row lock is held until the commit, when readers see the rows and the version
    together). Every path that writes rollups calls this: ``rollups.lock``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (organisation_id, generation, epoch) "  # noqa: S608
            "VALUES (%s, 1, %s) "
            f"ON CONFLICT (organisation_id) DO UPDATE SET generation = {TABLE}.generation + 1",
            [organisation.pk, uuid.uuid4().hex],
        )


def current(organisation) -> str:
    """The organisation's rollup version now, as text for a cache key, in one query."""
    found = RollupVersion.objects.filter(organisation=organisation).values_list(
        "epoch", "generation"
    )
    epoch, generation = next(iter(found), ("new", 0))
    return f"{epoch}.{generation}"
