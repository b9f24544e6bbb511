"""What every part of the JSON API at /api/v1/ shares: who is calling (an integration token
or a logged-in person of an organisation), and the shape of an error."""

from ninja import Field, Schema
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
    index: int = Field(description="Position of the row in the list, from 0.")
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[RowErrorOut] = []


class OrganisationMemberAuth(SessionAuth):
    """A logged-in person of an organisation: KPI figures are open to every employee."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or roles.organisation_of(user) is None:
            return None
        request.organisation = user.organisation
        return user
