"""Writing validated feedback rows: one path for the form, the API, imports and generated data.

All or nothing: rows are written in one transaction. Rows whose ``external_id`` is already
stored (or repeats within the batch) are skipped, so sending the same row twice counts once;
writers of rows with external ids take turns per organisation, so overlapping batches from
concurrent clients neither double a row nor fail on each other.
On PostgreSQL the rows go in with ``COPY``; elsewhere with ``bulk_create``.
"""

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from feedback import invitations, mailing
from feedback.models import DirtyMark, Interaction, Invitation, Response, Source
from feedback.privacy import customer_hash, redact
from feedback.rows import RowValidator, clean_text
from feedback.signals import announce_after_commit
from feedback.themes import ThemeMatcher
from organisations import bulk, clock, conflicts, webhooks
from organisations.bulk import NULL, escape
from organisations.enqueue import send
from organisations.models import Team, WebhookEvent

LOOKUP_CHUNK = 5000


@dataclass
class StoreResult:
    created: int = 0
    duplicates: int = 0
    invited: int = 0  # invitation e-mails queued after contacts with an address
    touched: set = field(default_factory=set)  # (team_id, local day) pairs, for the KPI engine


def _new_rows(model, organisation, rows):
    """Drop rows whose external_id is stored already or came earlier in this batch."""
    seen = set()
    ids = [row["external_id"] for row in rows if row["external_id"]]
    if ids and connection.vendor == "postgresql":
        # One query with an array instead of thousands of parameters.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT external_id FROM {model._meta.db_table} "  # noqa: S608 - our table name
                "WHERE organisation_id = %s AND external_id = ANY(%s)",
                [organisation.pk, ids],
            )
            seen.update(external_id for (external_id,) in cursor.fetchall())
        ids = []
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        seen.update(
            model.objects.filter(organisation=organisation, external_id__in=chunk).values_list(
                "external_id", flat=True
            )
        )
    fresh = []
    for row in rows:
        external_id = row["external_id"]
        if external_id is not None:
            if external_id in seen:
                continue
            seen.add(external_id)
        fresh.append(row)
    return fresh


def _response_line(record) -> str:
    """One response in COPY's text format, written out field by field (the hot path of bulk
    ingest: much faster than formatting value by value)."""
    (org, team, score, comment, ref, when, day, external_id, source, link, language, email, now) = (
        record[:13]
    )
    invitation = record[13]
    score = NULL if score is None else score
    external_id = NULL if external_id is None else escape(external_id)
    link = NULL if link is None else link
    invitation = NULL if invitation is None else invitation
    return (
        f"{org}\t{team}\t{score}\t{escape(comment)}\t{ref}\t{when.isoformat()}\t{day}\t"
        f"{external_id}\t{source}\t{link}\t{escape(language)}\t{escape(email)}\t{now}\t"
        f"{invitation}"
    )


def _reserve_ids(table: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


RESPONSE_FIELDS = [
    "organisation_id",
    "team_id",
    "score",
    "comment",
    "customer_hash",
    "submitted_at",
    "local_day",
    "external_id",
    "source",
    "survey_link_id",
    "language",
    "contact_email",
    "created_at",
    "invitation_id",
]


def _in_key_order(rows):
    """Rows by external_id, so concurrent writers of overlapping batches insert the shared keys
    in one order: the second waits for the first, then skips them on its next try, instead of
    the two deadlocking on the unique index."""
    return sorted(rows, key=lambda row: (row["external_id"] is None, row["external_id"] or ""))


# A concurrent writer may store the same external_id between our check and our insert (the
# transaction then fails as a whole and one more try skips that row), or meet ours in a deadlock.
@conflicts.retried(duplicates=True)
@transaction.atomic
def store_responses(organisation, rows: list[dict], *, source: str, matcher=None) -> StoreResult:
    """Store validated response rows (see ``feedback.rows``) for one organisation."""
    matcher = matcher if matcher is not None else ThemeMatcher.for_organisation(organisation)
    conflicts.take_turns_on_external_ids(organisation, (row["external_id"] for row in rows))
    fresh = _in_key_order(_new_rows(Response, organisation, rows))
    result = StoreResult(created=len(fresh), duplicates=len(rows) - len(fresh))
    if not fresh:
        return result
    per_team = _ResponseWriter(organisation, source, matcher, result).write(fresh)
    _finish_responses(organisation, result, source, per_team, fresh)
    return result


def _finish_responses(organisation, result, source, per_team, fresh=()) -> None:
    DirtyMark.objects.mark(organisation, result.touched, later_periods=False)
    _tell_webhooks(organisation, fresh, result, source, per_team)
    announce_after_commit(organisation)


class _ResponseWriter:
    """Turns validated rows into stored responses and their theme links, adding what it wrote
    to ``result.touched``; the caller holds the transaction."""

    def __init__(self, organisation, source, matcher, result):
        self.organisation = organisation
        self.source = source
        self.matcher = matcher
        self.result = result
        self.day = clock.local_day(clock.zone_for_stamping(organisation))
        self.now = timezone.now()
        self.postgresql = connection.vendor == "postgresql"
        if self.postgresql:
            self.now = self.now.isoformat()  # written as text by _response_line

    def record(self, row) -> tuple:
        local_day = self.day(row["submitted_at"])
        self.result.touched.add((row["team_id"], local_day))
        return (
            self.organisation.pk,
            row["team_id"],
            row["score"],
            row["comment"],
            row["customer_hash"],
            row["submitted_at"],
            local_day,
            row["external_id"],
            self.source,
            row.get("survey_link_id"),
            row.get("language", ""),
            row.get("contact_email", ""),
            self.now,
            row.get("invitation_id"),
        )

    def write(self, fresh) -> Counter:
        """Store rows known to be new (a list); returns how many per team."""
        records = [self.record(row) for row in fresh]
        themes = [self.matcher.match(row["comment"]) for row in fresh]
        through = Response.themes.through
        if self.postgresql:
            table = Response._meta.db_table
            tagged = [i for i, found in enumerate(themes) if found]
            if not tagged:
                bulk.copy_lines(table, RESPONSE_FIELDS, map(_response_line, records))
            else:
                # One COPY in key order (see _in_key_order), so every row gets its id up front.
                ids = _reserve_ids(table, len(records))
                bulk.copy_lines(
                    table,
                    ["id", *RESPONSE_FIELDS],
                    (
                        f"{pk}\t{_response_line(record)}"
                        for pk, record in zip(ids, records, strict=True)
                    ),
                )
                bulk.copy_rows(
                    through._meta.db_table,
                    ["response_id", "theme_id"],
                    ((ids[i], theme) for i in tagged for theme in themes[i]),
                )
        else:
            objects = Response.objects.bulk_create(
                [Response(**dict(zip(RESPONSE_FIELDS, record, strict=True))) for record in records],
                batch_size=500,
            )
            through.objects.bulk_create(
                [
                    through(response_id=obj.pk, theme_id=theme)
                    for obj, found in zip(objects, themes, strict=True)
                    for theme in found
                ],
                batch_size=500,
            )
        return Counter(row["team_id"] for row in fresh)

    def stream(self, rows, size: int) -> tuple[list, Counter]:
        """COPY up to ``size`` rows from the iterator ``rows`` as they come (PostgreSQL): the
        server stores each line while the next is still being read and checked. Returns (the
        rows, how many per team); ``([], …)`` when ``rows`` is used up.

        The rows are taken to be new. When one is not (stored before, or earlier in the same
        file: the unique index says so) the batch is undone and written again without them."""
        first = next(rows, None)
        if first is None:
            return [], Counter()
        rows_here = itertools.chain((first,), rows)
        table = Response._meta.db_table
        through = Response.themes.through._meta.db_table
        ids = _reserve_ids(table, size)
        batch, links = [], []
        touched = self.result.touched
        self.result.touched = set()  # this batch's, kept apart until it is stored
        match, record = self.matcher.match, self.record

        def lines():
            # ids first: no row is taken past the last id
            for pk, row in zip(ids, rows_here, strict=False):
                batch.append(row)
                for theme in match(row["comment"]):
                    links.append((pk, theme))
                yield f"{pk}\t{_response_line(record(row))}"

        try:
            with transaction.atomic():  # a savepoint: a repeated external_id undoes the batch
                bulk.copy_lines(table, ["id", *RESPONSE_FIELDS], lines())
                if links:
                    bulk.copy_rows(through, ["response_id", "theme_id"], links)
        except IntegrityError:
            batch.extend(itertools.islice(rows_here, size - len(batch)))
            if not any(row["external_id"] for row in batch):
                raise
            self.result.touched = set()
            fresh = _in_key_order(_new_rows(Response, self.organisation, batch))
            self.result.duplicates += len(batch) - len(fresh)
            per_team = self.write(fresh) if fresh else Counter()
        else:
            per_team = Counter(row["team_id"] for row in batch)
        self.result.created += per_team.total()
        touched |= self.result.touched
        self.result.touched = touched
        return batch, per_team


STREAM_BATCH = 10_000


def store_response_stream(
    organisation,
    rows,
    *,
    source: str,
    external_ids: bool = True,
    batch_size: int = STREAM_BATCH,
    between_batches=None,
) -> StoreResult:
    """Store validated response rows from any iterable, ``batch_size`` at a time, in the
    caller's transaction (call inside ``transaction.atomic``): memory stays bounded however
    many rows there are, and a rollback undoes them all. ``rows`` may check each row as it is
    taken (a file being read): on PostgreSQL that work overlaps the server's storing of the
    rows before it. Rows whose external_id is stored already, or came earlier, are skipped;
    without ``external_ids`` (no row has one) no other writer is waited for.
    ``between_batches()`` is called after each batch, outside any COPY."""
    if not connection.in_atomic_block:
        raise RuntimeError("store_response_stream runs inside the caller's transaction")
    result = StoreResult()
    writer = _ResponseWriter(
        organisation, source, ThemeMatcher.for_organisation(organisation), result
    )
    if external_ids:
        conflicts.take_turns_on_external_ids(organisation, [True])
    per_team = Counter()
    rows = iter(rows)
    while True:
        if writer.postgresql:
            batch, counts = writer.stream(rows, batch_size)
        else:
            batch = list(itertools.islice(rows, batch_size))
            fresh = _in_key_order(_new_rows(Response, organisation, batch))
            result.duplicates += len(batch) - len(fresh)
            counts = writer.write(fresh) if fresh else Counter()
            result.created += counts.total()
        if not batch:
            break
        per_team.update(counts)
        if between_batches:
            between_batches()
    if result.created:
        _finish_responses(organisation, result, source, per_team)
    return result


def _tell_webhooks(organisation, fresh, result, source, per_team: Counter) -> None:
    """One "answers.received" event per call (an API call, an import, a form answer) with its
    counts per team; a form answer's comment goes only to its team's own webhook."""
    if not webhooks.wanted(organisation, WebhookEvent.ANSWERS):
        return
    slugs = dict(Team.objects.filter(pk__in=per_team).values_list("pk", "slug"))
    payload = {
        "source": source,
        "created": result.created,
        "duplicates": result.duplicates,
        "teams": [{"team": slugs[pk], "created": n} for pk, n in sorted(per_team.items())],
    }
    team, comments, key = None, None, f"answers:{uuid.uuid4()}"
    if source == Source.FORM and len(fresh) == 1:
        row = fresh[0]
        key = f"answers:{row['external_id']}"  # a form shown once is one event
        payload["score"] = row["score"]
        if row["comment"]:
            team = Team.objects.get(pk=row["team_id"])
            response_id = Response.objects.values_list("pk", flat=True).get(
                organisation=organisation, external_id=row["external_id"]
            )
            comments = {response_id: row["comment"]}
    webhooks.emit(organisation, WebhookEvent.ANSWERS, key, payload, team=team, comments=comments)


INTERACTION_FIELDS = [
    "organisation_id",
    "team_id",
    "customer_hash",
    "occurred_at",
    "local_day",
    "is_error",
    "note",
    "external_id",
    "source",
    "created_by_id",
    "created_at",
]


@conflicts.retried(duplicates=True)
@transaction.atomic
def store_interactions(organisation, rows: list[dict], *, source: str) -> StoreResult:
    conflicts.take_turns_on_external_ids(organisation, (row["external_id"] for row in rows))
    result = _write_interactions(organisation, rows, source)
    DirtyMark.objects.mark(organisation, result.touched, later_periods=True)
    announce_after_commit(organisation)
    return result


def store_interaction_stream(
    organisation,
    rows,
    *,
    source: str,
    external_ids: bool = True,
    batch_size: int = STREAM_BATCH,
    between_batches=None,
) -> StoreResult:
    """Store validated interaction rows from any iterable, ``batch_size`` at a time, in the
    caller's transaction (see ``store_response_stream``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("store_interaction_stream runs inside the caller's transaction")
    if external_ids:
        conflicts.take_turns_on_external_ids(organisation, [True])
    result = StoreResult()
    rows = iter(rows)
    while batch := list(itertools.islice(rows, batch_size)):
        part = _write_interactions(organisation, batch, source)
        result.created += part.created
        result.duplicates += part.duplicates
        result.invited += part.invited
        result.touched |= part.touched
        if between_batches:
            between_batches()
    DirtyMark.objects.mark(organisation, result.touched, later_periods=True)
    if result.created:
        announce_after_commit(organisation)
    return result


def _write_interactions(organisation, rows, source) -> StoreResult:
    """Store the rows that are new; the caller holds the transaction and marks the days."""
    fresh = _in_key_order(_new_rows(Interaction, organisation, rows))
    result = StoreResult(created=len(fresh), duplicates=len(rows) - len(fresh))
    now = timezone.now()
    day = clock.local_day(clock.zone_for_stamping(organisation))
    records = [
        (
            organisation.pk,
            row["team_id"],
            row["customer_hash"],
            row["occurred_at"],
            day(row["occurred_at"]),
            row["is_error"],
            row.get("note", ""),
            row["external_id"],
            source,
            row.get("created_by_id"),
            now,
        )
        for row in fresh
    ]
    result.touched = {(record[1], record[4]) for record in records}
    # Contacts with an address to invite: their rows get their ids first, to tie invitations.
    with_address = [i for i, row in enumerate(fresh) if row.get("contact_email")]
    ids = {}
    if connection.vendor == "postgresql":
        table = Interaction._meta.db_table
        if with_address:
            ids = dict(zip(with_address, _reserve_ids(table, len(with_address)), strict=True))
            bulk.copy_rows(
                table, ["id", *INTERACTION_FIELDS], ((ids[i], *records[i]) for i in with_address)
            )
        chosen = set(with_address)
        bulk.copy_rows(
            table, INTERACTION_FIELDS, (r for i, r in enumerate(records) if i not in chosen)
        )
    else:
        objects = Interaction.objects.bulk_create(
            [
                Interaction(**dict(zip(INTERACTION_FIELDS, record, strict=True)))
                for record in records
            ],
            batch_size=500,
        )
        ids = {i: objects[i].pk for i in with_address}
    if with_address:
        result.invited = _invite_by_email(organisation, [(fresh[i], ids[i]) for i in with_address])
    return result


def _invite_by_email(organisation, rows_and_ids) -> int:
    """Queue invitation e-mails after contacts that came with an address; a worker sends them
    once committed. The customer is known by their reference, or else by the address."""
    contacts = [
        invitations.Contact(
            team_id=row["team_id"],
            customer_hash=row["customer_hash"] or row["address_hash"],
            interaction_id=interaction_id,
            language=row.get("language", ""),
            email=row["contact_email"],
            sample_key=f"interaction:{interaction_id}",
        )
        for row, interaction_id in rows_and_ids
    ]
    outcomes = invitations.invite(organisation, contacts, by_email=True)
    made = sum(1 for outcome in outcomes if outcome.invitation is not None)
    if made:
        transaction.on_commit(lambda: send(mailing.send_invitations))
    return made


STORE = {"responses": store_responses, "interactions": store_interactions}
STREAM = {"responses": store_response_stream, "interactions": store_interaction_stream}


def store_survey_answer(link, *, score, comment, email, submission, language) -> StoreResult:
    """A customer's answer from the public form: redacted, the e-mail kept only as given with
    consent (and hashed as the customer's reference), once per form shown."""
    organisation = link.organisation
    row = {
        "team_id": link.team_id,
        "score": score,
        "comment": redact(clean_text(comment)),
        "customer_hash": customer_hash(organisation.customer_ref_secret, email),
        "submitted_at": timezone.now(),
        "external_id": f"form:{submission}",  # a double click or a reload counts once
        "survey_link_id": link.pk,
        "language": language,
        "contact_email": email,
    }
    return store_responses(organisation, [row], source=Source.FORM)


def store_invitation_answer(invitation, *, score, comment, language) -> bool:
    """Store the customer's answer once: False when the invitation was answered already (a
    second tab, a reload) or has expired. The invitation's day is recounted (answered)."""
    organisation = invitation.organisation
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.is_answered or locked.is_expired(now):
            return False
        stored = store_responses(
            organisation,
            [
                {
                    "team_id": locked.team_id,
                    "score": score,
                    "comment": redact(clean_text(comment)),
                    "customer_hash": locked.customer_hash,
                    "submitted_at": now,
                    "external_id": f"invitation:{locked.pk}",
                    "language": language,
                    "invitation_id": locked.pk,
                }
            ],
            source=Source.FORM,
        )
        locked.answered_at = now
        locked.email = ""  # no reminder needed any more
        if locked.status in (Invitation.Status.QUEUED, Invitation.Status.SENT):
            locked.status = Invitation.Status.CLOSED
        locked.save(update_fields=["answered_at", "email", "status"])
        if locked.local_day is not None:  # the day it counts on now has one more answered
            touched = {(locked.team_id, locked.local_day)} - stored.touched
            DirtyMark.objects.mark(organisation, touched, later_periods=False)
    invitation.refresh_from_db()
    return True


def store_complaint(team, *, occurred_at, customer_ref, note, logged_by) -> StoreResult:
    """A complaint a team lead logs by hand: an interaction that went wrong."""
    organisation = team.organisation
    row = {
        "team_id": team.pk,
        "customer_hash": customer_hash(organisation.customer_ref_secret, customer_ref),
        "occurred_at": occurred_at,
        "is_error": True,
        "note": redact(note),
        "external_id": None,
        "created_by_id": logged_by.pk,
    }
    return store_interactions(organisation, [row], source=Source.MANUAL)


def validate_and_store(organisation, kind: str, rows, *, source: str, first_row: int = 1):
    """Validate every row; store them all only if none has an error.

    Returns (StoreResult or None, [RowError, …]).
    """
    validator = RowValidator(organisation, kind)
    clean, errors = [], []
    for number, row in enumerate(rows, start=first_row):
        good, problems = validator.validate(row, number)
        if problems:
            errors.extend(problems)
        else:
            clean.append(good)
    if errors:
        return None, errors
    return STORE[kind](organisation, clean, source=source), []
