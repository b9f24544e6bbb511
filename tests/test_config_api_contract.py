"""The API does what its OpenAPI schema says: schemathesis reads the live schema from the running
application and sends at least 100 generated requests per operation, valid and invalid, with a
fixed seed, under all its default checks (no 5xx, statuses, bodies and headers as documented,
valid data accepted, invalid data refused, no operation without its token)."""

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from feedback.models import Interaction, Response

CONFIG = schemathesis.config.SchemathesisConfig.from_str(
    """
seed = 20261130

[generation]
max-examples = 100

# 413 is this API's documented answer to more than 1,000 rows (and so to the schema's maxItems);
# the other statuses are schemathesis' own defaults for refused data.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "429"]
"""
)


# Read from the application itself, as any client reads it (no database is needed for it).
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def requests_share_the_tests_connection(db):
    """As Django's test client does: the test's transaction keeps its connection across the
    requests that schemathesis sends to the application."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


SLUGS = ["alpha", "beta"]
CONTACT = "contact-1"


def realistic(case, now):
    """Valid data the schema cannot describe: the team must exist in the organisation and the
    moment must lie between 2000 and now (the schema says so in words); a row needs a score or
    a comment. Only valid (positive) cases are changed, so invalid ones stay invalid."""
    if not case.meta.generation.mode.is_positive or not isinstance(case.body, list):
        return
    for number, row in enumerate(case.body):
        row["team"] = SLUGS[number % 2]
        if case.path.endswith("/invitations"):  # after a contact the organisation stored
            row["team"], row["external_id"] = "alpha", CONTACT
        if row.get("contact_email"):  # an address the server's own check takes
            row["contact_email"] = f"customer{number}@example.org"
        for field in ("submitted_at", "occurred_at"):
            if field in row:
                row[field] = (now - dt.timedelta(minutes=number)).isoformat()
        if "submitted_at" in row and row.get("score") in (None, ""):
            row["score"] = 7


# About 80 s: CI runs it as a step of its own (.ci/run), the default test run leaves it out.
pytestmark = pytest.mark.contract


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_the_api_does_what_its_schema_says(case, org, api_token):
    Interaction.objects.get_or_create(
        organisation=org.organisation,
        external_id=CONTACT,
        defaults={"team": org.team_a, "occurred_at": timezone.now(), "customer_hash": "x"},
    )
    realistic(case, timezone.now())
    # The schema is about bodies, not transport: schemathesis' WSGI client asks for gzip like
    # any HTTP client but does not unpack it, so it asks for the plain body instead.
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}", "Accept-Encoding": "identity"}
    )
    assert response.status_code < 500


def test_the_contract_run_stored_rows(org, api_token, client):
    """A guard that the run above talks to a working API (not only to its refusals)."""
    response = client.post(
        "/api/v1/responses",
        [{"team": "alpha", "score": 9, "submitted_at": "2026-03-01"}],
        content_type="application/json",
        headers={"authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 200
    assert Response.objects.count() == 1
