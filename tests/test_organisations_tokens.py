"""Integration tokens: created in the UI or by command, shown once, stored hashed, revocable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from organisations.models import IntegrationToken, hash_token


def test_manager_creates_a_token_and_sees_it_once(client, org):
    client.force_login(org.manager)
    response = client.post(reverse("organisations:token_create"), {"name": "Webshop"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = IntegrationToken.objects.get()
    assert token.organisation == org.organisation and token.created_by == org.manager
    assert token.key_hash == hash_token(raw) and raw not in token.key_hash
    listing = client.get(reverse("organisations:tokens")).content.decode()
    assert "Webshop" in listing and raw not in listing


def test_a_token_needs_a_name(client, org):
    client.force_login(org.manager)
    response = client.post(reverse("organisations:token_create"), {"name": "   "})
    assert response.status_code == 400
    assert IntegrationToken.objects.count() == 0


def test_a_token_authenticates_for_its_organisation_until_revoked(client, org):
    token, raw = IntegrationToken.issue(organisation=org.organisation, name="CRM")
    assert IntegrationToken.authenticate(raw) == token
    assert IntegrationToken.authenticate(raw + "x") is None
    assert IntegrationToken.authenticate("") is None
    client.force_login(org.manager)
    client.post(reverse("organisations:token_revoke", args=[token.pk]))
    assert IntegrationToken.authenticate(raw) is None


def test_create_token_command_prints_the_token_once(org):
    out, err = StringIO(), StringIO()
    call_command("create_token", org="acme", name="Call centre", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert IntegrationToken.authenticate(raw).organisation == org.organisation
    assert "not shown again" in err.getvalue()


def test_create_token_command_names_an_unknown_organisation(db):
    with pytest.raises(CommandError, match="No organisation with slug 'nope'"):
        call_command("create_token", org="nope", name="x")
