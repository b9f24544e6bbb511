"""What every part of the JSON API at /api/v1/ shares: who is calling (an integration token
or a logged-in person of an organisation), and the shape of an error."""

from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.security import HttpBearer, SessionAuth

from organisations import roles
from organisations.models import IntegrationToken


class IntegrationTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = IntegrationToken.authenticate(token)
        if found is not None:
            request.organisation = found.organisation
        return found


class RowErrorOut(Schema):
    index: int | None = Field(
        description="Position of the row in the list, from 0; null for a query parameter."
    )
    field: str
    message: str


class ErrorOut(Schema):
    """Every error the API answers has this shape, whatever its status."""

    detail: str
    errors: list[RowErrorOut] = []


# The statuses every operation may answer, with what they mean, for its ``response``.
ERROR_DESCRIPTIONS = {
    400: "The body or a row is not valid; nothing was stored. `errors` names each row and field.",
    401: "No valid `Authorization: Bearer <token>` (or, where allowed, no logged-in person).",
    404: "No such team in the organisation.",
    413: "More than 1,000 rows, or a body larger than 40 MB; nothing was stored.",
    422: "A query parameter is not valid; `errors` names each one.",
}


def error_responses(*statuses) -> dict:
    """The ``openapi_extra`` that describes each error status of an operation."""
    return {
        "responses": {status: {"description": ERROR_DESCRIPTIONS[status]} for status in statuses}
    }


def validation_error(request, exc: ValidationError, api):
    """Parameters django-ninja refuses answer 422 in the documented error shape (its own
    answer puts a list in ``detail``)."""
    errors = [
        {
            "index": None,
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or "",
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    fields = ", ".join(sorted({error["field"] for error in errors if error["field"]}))
    detail = f"Not valid: {fields}." if fields else "The request is not valid."
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


class OrganisationMemberAuth(SessionAuth):
    """A logged-in person of an organisation: KPI figures are open to every employee."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or roles.organisation_of(user) is None:
            return None
        request.organisation = user.organisation
        return user
