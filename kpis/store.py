"""Writing rollup rows: exactly the rows of the keys that were recomputed, updated in place,
added, or removed where nothing happened; rows that did not change are not written."""

from collections import defaultdict

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from kpis.models import ThemeRollup
from organisations import bulk


def stored_rows(model, organisation, keys, day_field):
    """The stored rows of exactly the given keys' (scope, kind, start) or (scope, day), in one
    query."""
    groups = defaultdict(set)
    for key in keys:
        groups[key[:-1]].add(key[-1])
    if not groups:
        return []
    wanted = Q()
    for prefix, starts in groups.items():
        scope = Q(team__isnull=True) if prefix[0] is None else Q(team_id=prefix[0])
        kind = Q(kind=prefix[1]) if len(prefix) > 1 else Q()
        wanted |= scope & kind & Q(**{f"{day_field}__in": starts})
    return list(model.objects.filter(wanted, organisation=organisation))


def key_of(row, day_field):
    if day_field == "day":
        return (row.team_id, row.day)
    return (row.team_id, row.kind, row.period_start)


def replace(model, organisation, rows, day_field="period_start"):
    """Make the stored rows of the given keys ({(scope, kind, start): counts}, or for
    DailyCustomers {(scope, day): counts}) say what was recomputed: rows are updated in place,
    added, or removed where nothing happened; unchanged rows are not written."""
    existing = {
        key_of(row, day_field): row for row in stored_rows(model, organisation, rows, day_field)
    }
    now = timezone.now()
    created, updated, gone = [], [], []
    for key, counts in rows.items():
        row = existing.get(key)
        if not any(counts.values()):
            if row is not None:
                gone.append(row.pk)
        elif row is None:
            fields = key_fields(key, day_field)
            created.append(model(organisation=organisation, team_id=key[0], **fields, **counts))
        elif any(getattr(row, name) != value for name, value in counts.items()):
            for name, value in counts.items():
                setattr(row, name, value)
            row.updated_at = now
            updated.append(row)
    if gone:
        model.objects.filter(pk__in=gone).delete()
    if updated:
        names = list(next(iter(rows.values())))
        if hasattr(model, "updated_at"):
            names.append("updated_at")
        model.objects.bulk_update(updated, names, batch_size=500)
    model.objects.bulk_create(created, batch_size=2000)


# On PostgreSQL a rebuild writes by COPY; the tests also write the ORM's way there, and hold
# both against the same independent recomputation.
COPY_WRITES = True


def create(model, organisation, rows, day_field="period_start", keys=None):
    """Store rows where none are (after a rebuild removed them all). On PostgreSQL by COPY: the
    ORM's preparation of every value would cost more than the counting (``manage.py bench``).
    ``keys``: the columns of each key after its scope, when not (day) or (kind, period_start)."""
    rows = {key: row for key, row in rows.items() if any(row.values())}
    if not rows:
        return
    counts = list(next(iter(rows.values())))
    if keys is None:
        keys = ["day"] if day_field == "day" else ["kind", "period_start"]
    columns = ["organisation_id", "team_id", *keys, *counts]
    if hasattr(model, "updated_at"):
        columns.append("updated_at")
    now = [timezone.now()] if hasattr(model, "updated_at") else []
    values = [
        [organisation.pk, key[0], *key[1:], *(row[name] for name in counts), *now]
        for key, row in rows.items()
    ]
    if connection.vendor == "postgresql" and COPY_WRITES:
        bulk.copy_rows(model._meta.db_table, columns, values)
    else:
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in values])


def key_fields(key, day_field):
    if day_field == "day":
        return {"day": key[1]}
    return {"kind": key[1], "period_start": key[2]}


def replace_themes(organisation, themes):
    """As ``replace`` for ThemeRollup: {(scope, kind, start): {theme id: (m, d)}}."""
    existing = {
        (*key_of(row, "period_start"), row.theme_id): row
        for row in stored_rows(ThemeRollup, organisation, themes, "period_start")
    }
    wanted = {
        (*key, theme): counts for key, found in themes.items() for theme, counts in found.items()
    }
    gone = [row.pk for key, row in existing.items() if key not in wanted]
    created, updated = [], []
    for (scope, kind, start, theme), (mentions, detractors) in wanted.items():
        row = existing.get((scope, kind, start, theme))
        if row is None:
            created.append(
                ThemeRollup(
                    organisation=organisation,
                    team_id=scope,
                    kind=kind,
                    period_start=start,
                    theme_id=theme,
                    mentions=mentions,
                    detractor_mentions=detractors,
                )
            )
        elif (row.mentions, row.detractor_mentions) != (mentions, detractors):
            row.mentions, row.detractor_mentions = mentions, detractors
            updated.append(row)
    if gone:
        ThemeRollup.objects.filter(pk__in=gone).delete()
    ThemeRollup.objects.bulk_update(updated, ["mentions", "detractor_mentions"], batch_size=500)
    ThemeRollup.objects.bulk_create(created, batch_size=2000)


# --- Set-based writes on PostgreSQL (one new answer: ``kpis.incremental``) -----------------------
# Each writes the rows that a SELECT (``computed``, with %(org)s and its own parameters)
# yields for a set of keys in ONE statement, however many keys: rows are updated where they
# differ, added where missing, removed where every count is zero (as ``replace``). The two
# partial unique indexes (a team's rows, the organisation's) each get their own INSERT … ON
# CONFLICT; the statements' parts touch different rows, so they cannot meet.


WRITE = "WITH {parts} SELECT (SELECT count(*) FROM gone)"
PERIODS_AS = "periods AS MATERIALIZED ({periods})"
COMPUTED_AS = "computed AS MATERIALIZED ({computed})"
UPSERT = """{name} AS (
    INSERT INTO {table} AS t ({columns})
    SELECT {values} FROM {source} c WHERE {scope} AND ({where})
    ON CONFLICT ({conflict}) WHERE {team}
    DO UPDATE SET {updates} WHERE ({stored}) IS DISTINCT FROM ({new})
    RETURNING 1)"""
# The rows to remove are found first, key by key through an index, and removed by id: a plan
# that joins the keys with the whole table is what PostgreSQL picks when its statistics of a
# table that a rebuild has just filled are out of date, and that took seconds at 1M responses.
GONE_COUNTS = """gone AS (
    DELETE FROM {table} WHERE id = ANY(ARRAY(
        SELECT t.id FROM computed c CROSS JOIN LATERAL ({stored}) t WHERE NOT ({nonzero})))
    RETURNING 1)"""
STORED_KEY = """
    SELECT t.id FROM {table} t
    WHERE t.organisation_id = %(org)s AND {scope} AND {same_key} OFFSET 0"""
GONE_THEMES = """gone AS (
    DELETE FROM {table} WHERE id = ANY(ARRAY(
        SELECT t.id FROM periods p CROSS JOIN LATERAL ({stored}) t
        WHERE NOT EXISTS (SELECT 1 FROM computed c WHERE {same_theme})))
    RETURNING 1)"""
STORED_THEMES = """
    SELECT t.id, t.team_id, t.kind, t.period_start, t.theme_id FROM {table} t
    WHERE t.organisation_id = %(org)s AND {scope} AND t.kind = p.kind
      AND t.period_start = p.period_start OFFSET 0"""
EITHER_SCOPE = "({team}) UNION ALL ({whole})"


def either_scope(rows, stored, wanted) -> str:
    """The ``rows`` (a SELECT with a {scope} to fill in) of the ``wanted`` row's scope: a
    team's rows, or the organisation's (no team). Written as two branches rather than one OR,
    so that each finds its rows through an index; the branch that does not apply is skipped."""
    return EITHER_SCOPE.format(
        team=rows.format(scope=f"{stored}.team_id = {wanted}.team_id"),
        whole=rows.format(scope=f"{wanted}.team_id IS NULL AND {stored}.team_id IS NULL"),
    )


def _key_columns(day_field):
    return ["day"] if day_field == "day" else ["kind", "period_start"]


def _same_scope(left, right):
    return (
        f"({left}.team_id = {right}.team_id OR {left}.team_id IS NULL AND {right}.team_id IS NULL)"
    )


def _upserts(model, conflict_keys, fields, source, where):
    """The INSERT … ON CONFLICT parts, for a team's rows and the organisation's."""
    table = model._meta.db_table
    stamped = hasattr(model, "updated_at")
    columns = ["organisation_id", "team_id", *conflict_keys, *fields]
    values = ["%(org)s", "c.team_id", *(f"c.{name}" for name in (*conflict_keys, *fields))]
    updates = [f"{name} = EXCLUDED.{name}" for name in fields]
    if stamped:
        columns.append("updated_at")
        values.append("now()")
        updates.append("updated_at = EXCLUDED.updated_at")
    stored = ", ".join(f"t.{name}" for name in fields)
    new = ", ".join(f"EXCLUDED.{name}" for name in fields)
    parts = []
    for name, scope, conflict in (
        ("teams", "c.team_id IS NOT NULL", "team_id"),
        ("whole", "c.team_id IS NULL", "organisation_id"),
    ):
        parts.append(
            UPSERT.format(
                name=name,
                table=table,
                columns=", ".join(columns),
                values=", ".join(values),
                source=source,
                scope=scope,
                where=where,
                conflict=", ".join([conflict, *conflict_keys]),
                team=scope.replace("c.", ""),
                updates=", ".join(updates),
                stored=stored,
                new=new,
            )
        )
    return parts


def write_counts_sql(model, computed, fields, day_field="period_start") -> str:
    """One statement making the stored rows of ``computed``'s keys say what it computed:
    ``computed`` yields team_id, the key (day, or kind and period_start) and ``fields``."""
    table = model._meta.db_table
    keys = _key_columns(day_field)
    nonzero = " OR ".join(f"c.{name} <> 0" for name in fields)
    same_key = " AND ".join(f"t.{key} = c.{key}" for key in keys)
    stored = STORED_KEY.format(table=table, same_key=same_key, scope="{scope}")
    gone = GONE_COUNTS.format(table=table, stored=either_scope(stored, "t", "c"), nonzero=nonzero)
    parts = [
        COMPUTED_AS.format(computed=computed),
        gone,
        *_upserts(model, keys, fields, "computed", nonzero),
    ]
    return WRITE.format(parts=", ".join(parts))


def write_themes_sql(periods, computed) -> str:
    """One statement making the stored theme rows of the ``periods`` (a SELECT of team_id,
    kind, period_start) those that ``computed`` yields (team_id, kind, period_start, theme_id,
    mentions, detractor_mentions); a theme that no longer comes up is removed."""
    table = ThemeRollup._meta.db_table
    same_theme = (
        f"{_same_scope('c', 't')} AND c.kind = t.kind AND c.period_start = t.period_start"
        " AND c.theme_id = t.theme_id"
    )
    parts = [
        PERIODS_AS.format(periods=periods),
        COMPUTED_AS.format(computed=computed),
        GONE_THEMES.format(
            table=table,
            stored=either_scope(STORED_THEMES.format(table=table, scope="{scope}"), "t", "p"),
            same_theme=same_theme,
        ),
        *_upserts(
            ThemeRollup,
            ["theme_id", "kind", "period_start"],
            ["mentions", "detractor_mentions"],
            "computed",
            "true",
        ),
    ]
    return WRITE.format(parts=", ".join(parts))
