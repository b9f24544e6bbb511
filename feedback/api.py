"""The JSON API at /api/v1/ (django-ninja): other systems write feedback with a Bearer token.

Rows are validated by ``feedback.rows`` like imported files: one bad row and nothing is
stored, and the answer names every bad row (``index``, counted from 0) and field.
"""

import json
from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.security import HttpBearer, SessionAuth

from feedback import ingest, kpis
from feedback.models import Source
from programmes import visibility
from programmes.models import IntegrationToken
from programmes.targets import progress as target_progress

MAX_ROWS = 1000
# 1,000 rows of the longest comments, every character escaped as \uXXXX, fit in this.
MAX_BODY_BYTES = 40 * 1024 * 1024


class IntegrationTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = IntegrationToken.authenticate(token)
        if found is not None:
            request.organisation = found.organisation
        return found


api = NinjaAPI(
    title="Koning Klant",
    version="1",
    description=(
        "Write customer feedback for your organisation and read its KPI figures. "
        "Send `Authorization: Bearer <token>` with an integration token."
    ),
    urls_namespace="api",
)


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


class StoredOut(Schema):
    received: int
    created: int
    duplicates: int = Field(description="Rows whose external_id was stored before.")


class RowErrorOut(Schema):
    index: int = Field(description="Position of the row in the list, from 0.")
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[RowErrorOut] = []


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


def _store(request: HttpRequest, kind: str):
    # Read the stream ourselves: Django's own limit on request.body (meant for forms) would
    # answer a long but valid list with an HTML page instead of JSON.
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        detail = f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB."
        return Status(413, {"detail": detail})
    try:
        rows = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Status(400, {"detail": "The body is not valid JSON."})
    if not isinstance(rows, list) or not rows:
        return Status(400, {"detail": "Send a JSON list of rows (at least one)."})
    if len(rows) > MAX_ROWS:
        detail = f"At most {MAX_ROWS} rows per request; this one has {len(rows)}."
        return Status(413, {"detail": detail})
    result, errors = ingest.validate_and_store(
        request.organisation, kind, rows, source=Source.API, first_row=0
    )
    if errors:
        bad_rows = len({e.row for e in errors})
        return Status(
            400,
            {
                "detail": f"{bad_rows} row(s) are not valid; nothing was stored.",
                "errors": [
                    {"index": e.row, "field": e.field, "message": e.message} for e in errors
                ],
            },
        )
    return Status(
        200, {"received": len(rows), "created": result.created, "duplicates": result.duplicates}
    )


@api.post(
    "/responses",
    auth=IntegrationTokenAuth(),
    response={200: StoredOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(ResponseRow)},
    summary="Store customer responses (scores and comments)",
)
def post_responses(request):
    return _store(request, "responses")


@api.post(
    "/interactions",
    auth=IntegrationTokenAuth(),
    response={200: StoredOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra={"requestBody": _body(InteractionRow)},
    summary="Store interactions: customers served, and whether it went wrong",
)
def post_interactions(request):
    return _store(request, "interactions")


class FigureOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool


class ChangeOut(Schema):
    delta: float
    low: float
    high: float
    significant: bool


class PeriodOut(Schema):
    period_start: date
    label: str
    responses: int
    promoters: int
    passives: int
    detractors: int
    comments: int
    interactions: int
    errors: int
    customers: int
    returning_customers: int
    nps: FigureOut
    nps_change: ChangeOut | None = Field(
        description="Against the period before, with its 95% interval."
    )
    error_rate: FigureOut
    error_rate_change: ChangeOut | None = Field(
        description="Against the period before, in percentage points, with its 95% interval."
    )
    returning_rate: FigureOut
    returning_rate_change: ChangeOut | None = Field(
        description="Against the period before, in percentage points, with its 95% interval."
    )


class TargetFigureOut(Schema):
    period_start: date
    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool


class TargetOut(Schema):
    id: int
    team: str | None
    metric: str = Field(description="nps, error_rate or returning_rate")
    period: str
    what_for: str
    baseline: TargetFigureOut
    goal: float | None
    goal_label: str
    due_on: date
    current: TargetFigureOut
    change: ChangeOut | None = Field(description="Since the baseline, with its 95% interval.")
    progress: float | None = Field(description="0 at the baseline, 1 at the goal.")
    expected_progress: float = Field(description="The share of the time that has passed.")
    status: str = Field(description="on_track, at_risk, achieved, missed or no_data")


class KpisOut(Schema):
    team: str | None = Field(description="The team's slug; null for the whole organisation.")
    period: str
    series: list[PeriodOut]
    targets: list[TargetOut] = Field(description="The scope's targets and their progress.")


class OrganisationMemberAuth(SessionAuth):
    """A logged-in person of an organisation: KPI figures are open to every employee."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or visibility.organisation_of(user) is None:
            return None
        request.organisation = user.organisation
        return user


@api.get(
    "/kpis",
    auth=[IntegrationTokenAuth(), OrganisationMemberAuth()],
    response={200: KpisOut, 404: ErrorOut},
    summary="KPI series of a team or the whole organisation, with 95% intervals",
)
def get_kpis(
    request,
    team: str | None = None,
    period: Literal["day", "week", "month", "quarter"] = "month",
    last: int = Query(
        12, ge=1, le=400, description="How many periods, ending with the current one."
    ),
):
    found = None
    if team:
        found = request.organisation.teams.filter(slug=team).first()
        if found is None:
            return Status(404, {"detail": f"No team with slug “{team}”."})
    entries = kpis.series(request.organisation, team=found, kind=period, last=last)
    targets = [row.as_json() for row in target_progress(request.organisation, found)]
    return Status(
        200, {"team": team or None, "period": period, "series": entries, "targets": targets}
    )
