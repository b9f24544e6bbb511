"""The API's reading side (django-ninja, mounted at /api/v1/ by ``config/api.py``): the KPI
series of a team or the organisation with their intervals, and the targets with their progress,
for an integration token or a logged-in person of the organisation."""

import dataclasses
from datetime import date
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from followups import figures as followup_figures
from kpis import read
from organisations import clock
from organisations.api import (
    ErrorOut,
    IntegrationTokenAuth,
    OrganisationMemberAuth,
    error_responses,
)
from programmes.targets import progress as target_progress

router = Router(tags=["figures"])


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


class FollowThroughOut(Schema):
    n_due: int = Field(description="Follow-ups due in the period that are finished or late.")
    on_time: int
    on_time_share: float | None = Field(description="% closed by their due day.")
    on_time_low: float | None
    on_time_high: float | None
    n_closed: int
    median_days: float | None = Field(description="Median days from opening to closing.")
    median_low: float | None
    median_high: float | None
    open: int
    overdue: int


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
    invitations: int = Field(description="Personal survey links made and invitations e-mailed.")
    answered: int = Field(description="Of those, answered (opening a link does not count).")
    response_rate: FigureOut = Field(description="answered / invitations, in %, Wilson 95%.")
    follow_through: FollowThroughOut = Field(
        description="Follow-ups of unhappy customers due in the period: how many were closed "
        "on time and how fast, with 95% intervals."
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
    expected_progress: float = Field(
        description="The share of the time from the day the target was set to its due date."
    )
    status: str = Field(
        description=(
            "on_track, at_risk, achieved (reached and the change is real), looks_achieved "
            "(reached, but the change is within the noise), missed or no_data"
        )
    )


class KpisOut(Schema):
    team: str | None = Field(description="The team's slug; null for the whole organisation.")
    period: str
    series: list[PeriodOut]
    targets: list[TargetOut] = Field(description="The scope's targets and their progress.")


@router.get(
    "/kpis",
    operation_id="feedback_api_get_kpis",
    auth=[IntegrationTokenAuth(), OrganisationMemberAuth()],
    response={200: KpisOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=error_responses(401, 404, 422),
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
    entries = read.series(request.organisation, team=found, kind=period, last=last)
    today = clock.local_today(request.organisation)
    follow_through = followup_figures.by_period(
        request.organisation, found, period, [entry["period_start"] for entry in entries], today
    )
    for entry in entries:
        entry["follow_through"] = dataclasses.asdict(follow_through[entry["period_start"]])
    targets = [row.as_json() for row in target_progress(request.organisation, found)]
    return Status(
        200, {"team": team or None, "period": period, "series": entries, "targets": targets}
    )
