"""The API's writing side (django-ninja, mounted at /api/v1/ by ``config/api.py``): other
systems store feedback with a Bearer token.

Rows are validated by ``feedback.rows`` like imported files: one bad row and nothing is
stored, and the answer names every bad row (``index``, counted from 0) and field.
"""

import json
from datetime import date, datetime
from typing import Annotated, Literal

from annotated_types import Interval
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictStr, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from feedback import ingest, invitation_rows, invitations
from feedback.models import Source
from feedback.rows import (
    FALSE_WORDS,
    LANGUAGES,
    MAX_COMMENT,
    MAX_EXTERNAL_ID,
    MAX_REF,
    TRUE_WORDS,
    RowValidator,
)
from organisations.api import ErrorOut, IntegrationTokenAuth, error_responses

router = Router(tags=["feedback"])

MAX_ROWS = 1000


# 1,000 rows of the longest comments, every character escaped as \uXXXX, fit in this.
MAX_BODY_BYTES = 40 * 1024 * 1024


# What the rows may hold, exactly as the server takes them (the documentation of the body;
# ``feedback.rows`` does the validating). Text fields also take a whole number, stored as its
# digits (many systems send ids as numbers); a score also takes its digits as text; an error
# flag also takes 0/1 and the words of an imported file.
WHOLE_NUMBER_LIMIT = 10**15


def _not_text(value):
    """A number is a JSON number (4 or 4.0, as JSON Schema counts both whole), never text or
    true/false."""
    if isinstance(value, str | bool):
        raise ValueError("not a number")
    return value


# Strict types: no text taken for a number or the other way round, no true for a 1.
# (The bounds come before the validator, or the schema would name them "ge" and "le".)
WholeNumber = Annotated[
    int, Interval(ge=-WHOLE_NUMBER_LIMIT, le=WHOLE_NUMBER_LIMIT), BeforeValidator(_not_text)
]
Slug = Annotated[StrictStr, StringConstraints(min_length=1, max_length=60)]
Score = Annotated[int, Interval(ge=0, le=10), BeforeValidator(_not_text)]
ScoreText = Annotated[StrictStr, StringConstraints(pattern=r"^(10|[0-9])?$")]
FLAG_WORDS = sorted(
    {form for word in TRUE_WORDS | FALSE_WORDS for form in (word, word.upper(), word.title())}
)
FlagWord = Literal[tuple(FLAG_WORDS)]
# nl or en, in any case, or empty.
Language = Annotated[
    StrictStr,
    StringConstraints(
        pattern="^("
        + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in code) for code in sorted(LANGUAGES))
        + ")?$"
    ),
]
WHEN = (
    "ISO 8601 date and time, or a date (its midnight); without an offset: the organisation's "
    "clock. From 2000 on, and not in the future."
)


def text(max_length: int):
    return Annotated[StrictStr, StringConstraints(max_length=max_length)] | WholeNumber


class ResponseRow(Schema):
    model_config = ConfigDict(extra="forbid")

    team: Slug | WholeNumber = Field(description="The team's slug.")
    score: Score | ScoreText | None = Field(
        None, description="0–10 (also as text); may be empty or left out with a comment."
    )
    comment: text(MAX_COMMENT) = Field("", description="Needed when there is no score.")
    customer_ref: text(MAX_REF) = Field("", description="Stored only as a keyed hash.")
    submitted_at: datetime | date = Field(description=WHEN)
    external_id: text(MAX_EXTERNAL_ID) | None = Field(
        None, description="Makes the row idempotent: the same id twice is stored once."
    )


class InteractionRow(Schema):
    model_config = ConfigDict(extra="forbid")

    team: Slug | WholeNumber = Field(description="The team's slug.")
    customer_ref: text(MAX_REF) = Field("", description="Stored only as a keyed hash.")
    occurred_at: datetime | date = Field(description=WHEN)
    is_error: StrictBool | Literal[0, 1] | FlagWord | None = Field(
        False,
        description="True when it went wrong: a complaint or an error. Also 1/0, yes/no, ja/nee.",
    )
    external_id: text(MAX_EXTERNAL_ID) | None = Field(
        None, description="Makes the row idempotent: the same id twice is stored once."
    )
    contact_email: Annotated[StrictStr, StringConstraints(max_length=254)] = Field(
        "",
        description="Optional: Koning Klant e-mails this customer a survey invitation (if the "
        "team invites and the customer may be asked); the address is erased once the "
        "invitation and its one reminder are sent. Must be an e-mail address when given.",
        json_schema_extra={"anyOf": [{"format": "email"}, {"maxLength": 0}]},
    )
    language: Language = Field("", description="The customer's language for that e-mail.")


class InvitationRow(Schema):
    model_config = ConfigDict(extra="forbid")

    team: Slug | WholeNumber = Field(description="The team's slug.")
    customer_ref: Annotated[StrictStr, StringConstraints(min_length=1, max_length=MAX_REF)] | (
        WholeNumber
    ) = Field(description="Stored only as a keyed hash.")
    external_id: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=MAX_EXTERNAL_ID)
    ] = Field(description="The external_id (text) of an interaction of the same team.")
    language: Language = Field("", description="The survey form's language.")


class InvitationOut(Schema):
    index: int
    link: str | None = Field(None, description="The personal survey link, single use.")
    expires_at: datetime | None = None
    reason: str | None = Field(
        None, description="Why none was made: throttled, opted_out, team_not_inviting, not_sampled."
    )
    since: datetime | None = Field(None, description="Throttled: when the customer was invited.")


class InvitationsOut(Schema):
    received: int
    made: int
    invitations: list[InvitationOut]


ROW_SCHEMAS = {
    "responses": ResponseRow,
    "interactions": InteractionRow,
    "invitations": InvitationRow,
}


def _type_errors(kind: str, rows: list) -> list[dict]:
    """Values of a type the schema does not name (a float id, a nested object, "TRUE " for a
    flag) are refused here, so the API takes exactly what its schema says; what the types
    allow is then validated as in an import."""
    schema = ROW_SCHEMAS[kind]
    errors = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue  # named by the row validation
        try:
            schema.model_validate(row)
        except PydanticValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = error["loc"]
                if error["type"] in {"missing", "extra_forbidden"} or not loc:
                    continue  # the row validation names these in its own words
                field = str(loc[0])[:50]
                found = {"index": index, "field": field, "message": _type_message(loc[0])}
                if found not in errors:  # one for each type a field may have: say it once
                    errors.append(found)
    return errors


def _type_message(field) -> str:
    if field == "score":
        return "Must be a whole number from 0 to 10."
    if field == "is_error":
        return "Must be true or false (also: 1/0, yes/no, ja/nee)."
    if field == "language":
        return "Must be nl or en."
    if field in {"submitted_at", "occurred_at"}:
        return "Not a date and time: use e.g. 2026-03-31T14:05:00 or 2026-03-31."
    return "Must be text or a whole number, within the length allowed."


class StoredOut(Schema):
    received: int
    created: int
    duplicates: int = Field(description="Rows whose external_id was stored before.")


def _body(schema) -> dict:
    item = schema.model_json_schema()
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "maxItems": MAX_ROWS, "minItems": 1, "items": item}
            }
        },
    }


def _read_rows(request: HttpRequest):
    """(rows, None) or (None, an error answer)."""
    # Read the stream ourselves: Django's own limit on request.body (meant for forms) would
    # answer a long but valid list with an HTML page instead of JSON.
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        detail = f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB."
        return None, Status(413, {"detail": detail})
    try:
        rows = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, Status(400, {"detail": "The body is not valid JSON."})
    if not isinstance(rows, list) or not rows:
        return None, Status(400, {"detail": "Send a JSON list of rows (at least one)."})
    if len(rows) > MAX_ROWS:
        detail = f"At most {MAX_ROWS} rows per request; this one has {len(rows)}."
        return None, Status(413, {"detail": detail})
    return rows, None


def _invalid(errors, type_errors=()):
    """400 naming every bad row and field; a field the types refused is named once."""
    typed = {(e["index"], e["field"]) for e in type_errors}
    listed = list(type_errors) + [
        {"index": e.row, "field": e.field, "message": e.message}
        for e in errors
        if (e.row, e.field) not in typed
    ]
    listed.sort(key=lambda e: e["index"])
    bad_rows = len({e["index"] for e in listed})
    return Status(
        400,
        {"detail": f"{bad_rows} row(s) are not valid; nothing was stored.", "errors": listed},
    )


def _store(request: HttpRequest, kind: str):
    rows, failed = _read_rows(request)
    if failed:
        return failed
    type_errors = _type_errors(kind, rows)
    if type_errors:
        # Nothing is stored; the row validation still names the rows' other problems.
        validator = RowValidator(request.organisation, kind)
        errors = [e for i, row in enumerate(rows) for e in validator.validate(row, i)[1]]
        return _invalid(errors, type_errors)
    result, errors = ingest.validate_and_store(
        request.organisation, kind, rows, source=Source.API, first_row=0
    )
    if errors:
        return _invalid(errors)
    return Status(
        200, {"received": len(rows), "created": result.created, "duplicates": result.duplicates}
    )


@router.post(
    "/responses",
    operation_id="feedback_api_post_responses",
    auth=IntegrationTokenAuth(),
    response={200: StoredOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(ResponseRow)} | error_responses(400, 401, 413),
    summary="Store customer responses (scores and comments)",
)
def post_responses(request):
    return _store(request, "responses")


@router.post(
    "/interactions",
    operation_id="feedback_api_post_interactions",
    auth=IntegrationTokenAuth(),
    response={200: StoredOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(InteractionRow)} | error_responses(400, 401, 413),
    summary="Store interactions: customers served, and whether it went wrong",
)
def post_interactions(request):
    return _store(request, "interactions")


@router.post(
    "/invitations",
    operation_id="feedback_api_post_invitations",
    auth=IntegrationTokenAuth(),
    response={200: InvitationsOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(InvitationRow)} | error_responses(400, 401, 413),
    summary="Personal survey links after contacts, for your own system to send",
)
def post_invitations(request):
    """A personal, single-use survey link per contact, or why none was made. Koning Klant never
    sees an address on this path. One bad row and nothing is made."""
    rows, failed = _read_rows(request)
    if failed:
        return failed
    type_errors = _type_errors("invitations", rows)
    contacts, errors = invitation_rows.validate(request.organisation, rows)
    if errors or type_errors:
        return _invalid(errors, type_errors)
    outcomes = invitations.invite(request.organisation, contacts, by_email=False)
    answers = []
    for index, outcome in enumerate(outcomes):
        if outcome.invitation is not None:
            answers.append(
                {
                    "index": index,
                    "link": invitations.link_for(outcome.invitation),
                    "expires_at": outcome.invitation.expires_at,
                }
            )
        else:
            answers.append({"index": index, "reason": outcome.reason, "since": outcome.since})
    made = sum(1 for outcome in outcomes if outcome.invitation is not None)
    return Status(200, {"received": len(rows), "made": made, "invitations": answers})
