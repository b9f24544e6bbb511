"""The API's writing side (django-ninja, mounted at /api/v1/ by ``config/api.py``): other
systems store feedback with a Bearer token.

Rows are validated by ``feedback.rows`` like imported files: one bad row and nothing is
stored, and the answer names every bad row (``index``, counted from 0) and field.
"""

import json
from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from feedback import ingest, invitation_rows, invitations
from feedback.models import Source
from organisations.api import ErrorOut, IntegrationTokenAuth

router = Router(tags=["feedback"])

MAX_ROWS = 1000


# 1,000 rows of the longest comments, every character escaped as \uXXXX, fit in this.
MAX_BODY_BYTES = 40 * 1024 * 1024


class ResponseRow(Schema):
    team: str = Field(description="The team's slug.")
    score: int | None = Field(None, ge=0, le=10, description="0–10; may be empty with a comment.")
    comment: str = Field("", max_length=5000)
    customer_ref: str = Field("", max_length=200, description="Stored only as a keyed hash.")
    submitted_at: datetime = Field(description="ISO 8601; without an offset: the organisation's.")
    external_id: str | None = Field(None, max_length=100, description="Makes the row idempotent.")


class InteractionRow(Schema):
    team: str = Field(description="The team's slug.")
    customer_ref: str = Field("", max_length=200, description="Stored only as a keyed hash.")
    occurred_at: datetime = Field(description="ISO 8601; without an offset: the organisation's.")
    is_error: bool = Field(False, description="True when it went wrong: a complaint or an error.")
    external_id: str | None = Field(None, max_length=100, description="Makes the row idempotent.")
    contact_email: str = Field(
        "",
        description="Optional: Koning Klant e-mails this customer a survey invitation (if the "
        "team invites and the customer may be asked); the address is erased once the "
        "invitation and its one reminder are sent.",
    )
    language: str = Field("", description="The customer's language for that e-mail: nl or en.")


class InvitationRow(Schema):
    team: str = Field(description="The team's slug.")
    customer_ref: str = Field(max_length=200, description="Stored only as a keyed hash.")
    external_id: str = Field(max_length=100, description="The interaction's external_id.")
    language: str = Field("", description="nl or en: the survey form's language.")


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


def _invalid(errors):
    bad_rows = len({e.row for e in errors})
    return Status(
        400,
        {
            "detail": f"{bad_rows} row(s) are not valid; nothing was stored.",
            "errors": [{"index": e.row, "field": e.field, "message": e.message} for e in errors],
        },
    )


def _store(request: HttpRequest, kind: str):
    rows, failed = _read_rows(request)
    if failed:
        return failed
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
    response={200: StoredOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(ResponseRow)},
    summary="Store customer responses (scores and comments)",
)
def post_responses(request):
    return _store(request, "responses")


@router.post(
    "/interactions",
    operation_id="feedback_api_post_interactions",
    auth=IntegrationTokenAuth(),
    response={200: StoredOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(InteractionRow)},
    summary="Store interactions: customers served, and whether it went wrong",
)
def post_interactions(request):
    return _store(request, "interactions")


@router.post(
    "/invitations",
    operation_id="feedback_api_post_invitations",
    auth=IntegrationTokenAuth(),
    response={200: InvitationsOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(InvitationRow)},
    summary="Personal survey links after contacts, for your own system to send",
)
def post_invitations(request):
    """A personal, single-use survey link per contact, or why none was made. Koning Klant never
    sees an address on this path. One bad row and nothing is made."""
    rows, failed = _read_rows(request)
    if failed:
        return failed
    contacts, errors = invitation_rows.validate(request.organisation, rows)
    if errors:
        return _invalid(errors)
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
