"""The JSON API at /api/v1/: one django-ninja API, one OpenAPI schema, built of each app's own
router (capture writes feedback, the dashboards read the figures)."""

from ninja import NinjaAPI

from dashboards.api import router as figures
from feedback.api import router as feedback

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
