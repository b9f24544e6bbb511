"""The JSON API: Bearer tokens per organisation, per-row errors, all or nothing, idempotency."""

import pytest

from feedback.models import Interaction, Response
from organisations.models import IntegrationToken


def response_row(**overrides):
    return {
        "team": "alpha",
        "score": 9,
        "comment": "Vriendelijk geholpen",
        "customer_ref": "C-1",
        "submitted_at": "2026-03-31T23:30:00",
        "external_id": None,
    } | overrides


def test_rows_are_stored_for_the_tokens_organisation(org, post_rows):
    response = post_rows("responses", [response_row(), response_row(score=None, comment="Hm")])
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 2, "created": 2, "duplicates": 0}
    stored = Response.objects.get(score=9)
    assert stored.organisation == org.organisation and stored.team == org.team_a
    assert stored.source == "api"
    # 23:30 on 31 March in Amsterdam (no offset given) is 21:30 UTC, still in March locally.
    assert stored.submitted_at.isoformat() == "2026-03-31T21:30:00+00:00"


def test_without_a_valid_token_nothing_is_stored(org, post_rows, client):
    assert post_rows("responses", [response_row()], token="kk_wrong").status_code == 401
    no_header = client.post("/api/v1/responses", "[]", content_type="application/json")
    assert no_header.status_code == 401
    assert Response.objects.count() == 0


def test_a_revoked_token_is_refused(org, post_rows, api_token):
    IntegrationToken.objects.get().revoke()
    assert post_rows("responses", [response_row()], token=api_token).status_code == 401


def test_a_token_cannot_write_to_another_organisations_team(org, post_rows):
    response = post_rows("responses", [response_row(team="elsewhere")])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "team", "message": "No team with slug “elsewhere”."}
    ]
    assert Response.objects.count() == 0


def test_every_bad_row_is_named_and_nothing_is_stored(org, post_rows):
    rows = [
        response_row(),
        response_row(score=11),
        response_row(submitted_at="yesterday"),
        response_row(score=None, comment=""),
        response_row(team="", external_id="x" * 101),
    ]
    response = post_rows("responses", rows)
    assert response.status_code == 400
    body = response.json()
    assert "nothing was stored" in body["detail"]
    found = {(e["index"], e["field"]) for e in body["errors"]}
    assert found == {
        (1, "score"),
        (2, "submitted_at"),
        (3, "score"),
        (4, "team"),
        (4, "external_id"),
    }
    assert Response.objects.count() == 0


def test_more_than_a_thousand_rows_are_refused(org, post_rows):
    rows = [response_row(external_id=f"r{n}") for n in range(1001)]
    response = post_rows("responses", rows)
    assert response.status_code == 413
    assert "At most 1000 rows" in response.json()["detail"]
    assert Response.objects.count() == 0
    assert post_rows("responses", rows[:1000]).json()["created"] == 1000


def test_the_same_external_id_is_stored_once(org, post_rows):
    rows = [response_row(external_id="A"), response_row(external_id="A", score=1)]
    assert post_rows("responses", rows).json() == {"received": 2, "created": 1, "duplicates": 1}
    again = post_rows("responses", [response_row(external_id="A"), response_row(external_id="B")])
    assert again.json() == {"received": 2, "created": 1, "duplicates": 1}
    assert Response.objects.count() == 2
    assert Response.objects.get(external_id="A").score == 9


def test_external_ids_are_per_organisation(org, post_rows):
    other_token = IntegrationToken.issue(organisation=org.other, name="Theirs")[1]
    assert post_rows("responses", [response_row(external_id="A")]).json()["created"] == 1
    theirs = response_row(external_id="A", team="elsewhere")
    assert post_rows("responses", [theirs], token=other_token).json()["created"] == 1


@pytest.mark.parametrize(
    "body", ["", "not json", "{}", '{"team": "alpha"}', "[]", "null", '"text"', "\xff"]
)
def test_malformed_bodies_get_a_400(org, post_rows, body):
    response = post_rows("responses", None, raw_body=body)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "row",
    [
        "a string",
        ["a", "list"],
        {"team": ["alpha"], "score": 5, "submitted_at": "2026-01-01"},
        {"team": "alpha", "score": {"x": 1}, "submitted_at": "2026-01-01"},
        {"team": "alpha", "score": 5.5, "submitted_at": "2026-01-01"},
        {"team": "alpha", "score": True, "submitted_at": "2026-01-01"},
        {"team": "alpha", "score": 5, "submitted_at": 12345},
        {"team": "alpha", "score": 5, "submitted_at": "2999-01-01"},
        {"team": "alpha", "score": 5, "submitted_at": "1999-12-31"},
        {"team": "alpha", "score": 5, "comment": {"nested": 1}, "submitted_at": "2026-01-01"},
        {"team": "alpha", "score": 5, "submitted_at": "2026-01-01", "extra": 1},
    ],
)
def test_odd_rows_get_a_row_error_never_a_500(org, post_rows, row):
    response = post_rows("responses", [row])
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["index"] == 0
    assert Response.objects.count() == 0


def test_interactions_are_stored_with_their_error_flag(org, post_rows):
    rows = [
        {"team": "alpha", "customer_ref": "C1", "occurred_at": "2026-02-01T10:00:00+01:00"},
        {"team": "beta", "customer_ref": "C2", "occurred_at": "2026-02-01", "is_error": True},
        {"team": "beta", "occurred_at": "2026-02-02", "is_error": "ja", "external_id": "i-1"},
    ]
    response = post_rows("interactions", rows)
    assert response.status_code == 200, response.json()
    assert Interaction.objects.filter(is_error=True).count() == 2
    bad = post_rows("interactions", [{"team": "alpha", "occurred_at": "x", "is_error": "maybe"}])
    assert {e["field"] for e in bad.json()["errors"]} == {"occurred_at", "is_error"}


def test_openapi_schema_documents_both_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/responses", "/api/v1/interactions"} <= set(schema["paths"])
    body = schema["paths"]["/api/v1/responses"]["post"]["requestBody"]
    items = body["content"]["application/json"]["schema"]
    assert items["maxItems"] == 1000
    assert "submitted_at" in items["items"]["properties"]


def test_a_refused_query_parameter_answers_422_in_the_documented_error_shape(client, api_token):
    response = client.get(
        "/api/v1/kpis", {"period": "null"}, headers={"authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str) and "period" in body["detail"]
    assert body["errors"][0]["field"] == "period" and body["errors"][0]["index"] is None


def test_the_schema_documents_every_status_and_what_is_refused(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in (("/api/v1/responses", "post"), ("/api/v1/interactions", "post")):
        operation = paths[path][method]
        assert {"200", "400", "401", "413"} <= set(operation["responses"])
        row = operation["requestBody"]["content"]["application/json"]["schema"]["items"]
        assert row["additionalProperties"] is False
        team = row["properties"]["team"]["anyOf"][0]
        assert team["minLength"] == 1
    assert {"200", "401", "404", "422"} <= set(paths["/api/v1/kpis"]["get"]["responses"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("external_id", 1.5), ("customer_ref", True), ("team", ""), ("is_error", "maybe")],
)
def test_values_the_schema_does_not_allow_are_refused(org, post_rows, field, value):
    row = {"team": "alpha", "occurred_at": "2026-02-01", field: value}
    response = post_rows("interactions", [row])
    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}


def test_a_whole_number_for_a_text_field_is_taken_as_its_digits(org, post_rows):
    row = {"team": "alpha", "occurred_at": "2026-02-01", "external_id": 12345, "is_error": 1}
    assert post_rows("interactions", [row]).status_code == 200
    assert Interaction.objects.get().external_id == "12345"
