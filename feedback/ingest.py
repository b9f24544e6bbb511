"""Writing validated feedback rows: one path for the form, the API, imports and generated data.

All or nothing: rows are written in one transaction. Rows whose ``external_id`` is already
stored (or repeats within the batch) are skipped, so sending the same row twice counts once.
On PostgreSQL the rows go in with ``COPY``; elsewhere with ``bulk_create``.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from feedback import invitations, mailing
from feedback.models import DirtyMark, Interaction, Invitation, Response, Source
from feedback.privacy import customer_hash, redact
from feedback.rows import RowValidator, clean_text
from feedback.signals import announce_after_commit
from feedback.themes import ThemeMatcher
from organisations import bulk, clock
from organisations.bulk import NULL, escape
from organisations.enqueue import send

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


def _retrying(store):
    """A concurrent writer may store the same external_id between our check and our insert;
    the transaction then fails as a whole and one more try skips that row."""

    def wrapper(*args, **kwargs):
        try:
            return store(*args, **kwargs)
        except IntegrityError:
            return store(*args, **kwargs)

    return wrapper


@_retrying
@transaction.atomic
def store_responses(organisation, rows: list[dict], *, source: str, matcher=None) -> StoreResult:
    """Store validated response rows (see ``feedback.rows``) for one organisation."""
    matcher = matcher if matcher is not None else ThemeMatcher.for_organisation(organisation)
    fresh = _new_rows(Response, organisation, rows)
    result = StoreResult(created=len(fresh), duplicates=len(rows) - len(fresh))
    if not fresh:
        return result
    now = timezone.now()
    if connection.vendor == "postgresql":
        now = now.isoformat()  # written as text by _response_line
    day = clock.local_day(clock.zone_for_stamping(organisation))
    records = []
    for row in fresh:
        local_day = day(row["submitted_at"])
        records.append(
            (
                organisation.pk,
                row["team_id"],
                row["score"],
                row["comment"],
                row["customer_hash"],
                row["submitted_at"],
                local_day,
                row["external_id"],
                source,
                row.get("survey_link_id"),
                row.get("language", ""),
                row.get("contact_email", ""),
                now,
                row.get("invitation_id"),
            )
        )
        result.touched.add((row["team_id"], local_day))
    themes = [matcher.match(row["comment"]) for row in fresh]
    through = Response.themes.through
    if connection.vendor == "postgresql":
        table = Response._meta.db_table
        tagged = [i for i, found in enumerate(themes) if found]
        bulk.copy_lines(
            table,
            RESPONSE_FIELDS,
            (_response_line(records[i]) for i, found in enumerate(themes) if not found),
        )
        if tagged:
            ids = _reserve_ids(table, len(tagged))
            bulk.copy_lines(
                table,
                ["id", *RESPONSE_FIELDS],
                (f"{pk}\t{_response_line(records[i])}" for pk, i in zip(ids, tagged, strict=True)),
            )
            bulk.copy_rows(
                through._meta.db_table,
                ["response_id", "theme_id"],
                ((pk, theme) for pk, i in zip(ids, tagged, strict=True) for theme in themes[i]),
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
    DirtyMark.objects.mark(organisation, result.touched, later_periods=False)
    announce_after_commit(organisation)
    return result


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


@_retrying
@transaction.atomic
def store_interactions(organisation, rows: list[dict], *, source: str) -> StoreResult:
    fresh = _new_rows(Interaction, organisation, rows)
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
    DirtyMark.objects.mark(organisation, result.touched, later_periods=True)
    if with_address:
        result.invited = _invite_by_email(organisation, [(fresh[i], ids[i]) for i in with_address])
    announce_after_commit(organisation)
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
