"""The JSON API at /api/v1/: one django-ninja API, one OpenAPI schema, built of each app's own
router (capture writes feedback, the dashboards read the figures)."""

from functools import partial

from ninja import NinjaAPI
from ninja.errors import ValidationError

from dashboards.api import router as figures
from feedback.api import router as feedback
from organisations.api import validation_error

api = NinjaAPI(
    title="Koning Klant",
    version="1",
    description=(
        "Write customer feedback for your organisation and read its KPI figures. "
        "Send `Authorization: Bearer <token>` with an integration token."
    ),
    urls_namespace="api",
)
api.add_router("", feedback)
api.add_router("", figures)
api.add_exception_handler(ValidationError, partial(validation_error, api=api))
