"""Single sign-on with OpenID Connect against a real provider process started here on
127.0.0.1 (tests/oidc_provider: django-oauth-toolkit, signed ID tokens, its own login page):
signing in through its page in Chromium, and every refusal (organisations/sso.py)."""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from organisations.models import Membership, Organisation, SingleSignOn, Team, User
from organisations.sealing import decrypt_secret, encrypt_secret
from tests.factories import PASSWORD as TEST_PASSWORD
from tests.oidc_provider.serve import CLIENT_SECRET, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
PEOPLE = [
    "ann@acme.example",
    "unverified.bob@acme.example",
    "mallory@other.example",
    "newbie@acme.example",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The OpenID Connect provider, a process of its own, for this module's tests. Its
    clients send people back to the test client's callback; ``allow`` adds another."""
    port = free_port()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    issuer = f"http://127.0.0.1:{port}/o"
    callbacks = "http://testserver/accounts/sso/callback/"
    database = tmp_path_factory.mktemp("provider") / "provider.sqlite3"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PROVIDER_DB": str(database),
        "PROVIDER_KEY": pem,
        "PROVIDER_ISSUER": issuer,
        "PROVIDER_PEOPLE": ",".join(PEOPLE),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), callbacks],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.strip() == "ready", line + process.stdout.read()

        def allow(callback_url):
            # As the provider's administrator would register another address of the app.
            with sqlite3.connect(database) as connection:
                connection.execute(
                    "UPDATE oauth2_provider_application SET redirect_uris = "
                    "redirect_uris || ' ' || ?",
                    [callback_url],
                )

        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", issuer=issuer, allow=allow)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def acme(org, provider):
    org.ann = User.objects.create_user(
        "ann@acme.example",
        email="Ann@acme.example",
        first_name="Ann",
        organisation=org.organisation,
    )
    Membership.objects.create(user=org.ann, team=org.team_a)
    org.sso = SingleSignOn.objects.create(
        organisation=org.organisation,
        enabled=True,
        issuer=provider.issuer,
        client_id="koning-klant",
        client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
        domains="acme.example",
    )
    SingleSignOn.objects.create(
        organisation=org.other,
        enabled=True,
        issuer=provider.issuer,
        client_id="koning-klant",
        client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
        domains="other.example",
    )
    User.objects.create_user(
        "mallory@other.example", email="mallory@other.example", organisation=org.other
    )
    return org


def provider_session(provider, email) -> requests.Session:
    """A browser-like session logged in at the provider's own login page."""
    session = requests.Session()
    page = session.get(provider.url + "/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        provider.url + "/login/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, "the provider refused the test's own login"
    return session


def to_provider(client, email="ann@acme.example") -> str:
    page = client.get(reverse("sso_start"), {"email": email})
    assert page.status_code == 200
    return page.context["url"]


def provider_answer(session, authorize_url) -> str:
    """The provider's redirect back to us (the callback with code and state)."""
    answer = session.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def callback(client, url):
    parts = urlsplit(url)
    return client.get(parts.path, parse_qs(parts.query))


def with_param(url, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in(client, provider, as_email, start_email="ann@acme.example"):
    session = provider_session(provider, as_email)
    return callback(client, provider_answer(session, to_provider(client, start_email)))


def refusal(response) -> str:
    assert response.status_code == 403, response.status_code
    assert "_auth_user_id" not in response.client.session
    return response.content.decode()


def test_a_person_of_the_organisation_signs_in_with_a_confirmed_address(client, acme, provider):
    response = sign_in(client, provider, "ann@acme.example")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(acme.ann.pk)
    assert client.get(reverse("home")).status_code == 200


def test_an_unconfirmed_address_is_refused(client, acme, provider):
    User.objects.create_user(
        "unverified.bob@acme.example",
        email="unverified.bob@acme.example",
        organisation=acme.organisation,
    )
    page = refusal(sign_in(client, provider, "unverified.bob@acme.example"))
    assert "has not confirmed your e-mail address" in page


def test_an_address_of_another_organisations_domain_is_refused(client, acme, provider):
    page = refusal(sign_in(client, provider, "mallory@other.example"))
    assert "not one of the domains this organisation signs in with" in page


def test_a_tampered_id_token_is_refused(client, acme, provider):
    SingleSignOn.objects.filter(pk=acme.sso.pk).update(client_id="tampered")
    page = refusal(sign_in(client, provider, "ann@acme.example"))
    assert "could not be verified" in page


def test_a_wrong_or_replayed_state_is_refused(client, acme, provider):
    session = provider_session(provider, "ann@acme.example")
    answer = provider_answer(session, to_provider(client))
    page = refusal(callback(client, with_param(answer, state="forged-state")))
    assert "was not started here" in page
    assert callback(client, answer).status_code == 302  # the real one still works, once
    client.logout()
    assert "was not started here" in refusal(callback(client, answer))


def test_a_code_issued_for_another_nonce_is_refused(client, acme, provider):
    session = provider_session(provider, "ann@acme.example")
    authorize = with_param(to_provider(client), nonce="a-nonce-of-another-login")
    page = refusal(callback(client, provider_answer(session, authorize)))
    assert "does not belong to this sign-in" in page


def test_someone_unknown_is_refused_or_created_in_the_default_team(client, acme, provider):
    assert "no account for your e-mail address" in refusal(
        sign_in(client, provider, "newbie@acme.example")
    )
    SingleSignOn.objects.filter(pk=acme.sso.pk).update(create_people=True, default_team=acme.team_b)
    assert sign_in(client, provider, "newbie@acme.example").status_code == 302
    newbie = User.objects.get(email="newbie@acme.example")
    assert newbie.organisation == acme.organisation
    assert list(Team.objects.with_member(newbie)) == [acme.team_b]


def test_a_leaver_cannot_sign_in(client, acme, provider):
    User.objects.filter(pk=acme.ann.pk).update(is_active=False)
    refusal(sign_in(client, provider, "ann@acme.example"))


def test_an_address_no_organisation_signs_in_with_gets_a_clear_page(client, acme):
    page = client.get(reverse("sso_start"), {"email": "someone@elsewhere.example"})
    assert page.status_code == 403
    assert "Log in with your password" in page.content.decode()


def test_password_login_switched_off_refuses_passwords_of_that_organisation_only(client, acme):
    Organisation.objects.filter(pk=acme.organisation.pk).update(password_login=False)
    login = reverse("login")
    refused = client.post(login, {"username": "employee", "password": TEST_PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    client.post(login, {"username": "other_manager", "password": TEST_PASSWORD})
    assert client.session["_auth_user_id"] == str(acme.other_manager.pk)


def test_management_sets_it_up_and_the_secret_is_stored_encrypted(client, org):
    client.force_login(org.manager)
    response = client.post(
        reverse("organisations:single_sign_on"),
        {
            "enabled": "on",
            "issuer": "https://login.example.com/tenant/v2.0/",
            "client_id": "kk",
            "client_secret": "very-secret",
            "domains": "Acme.example, @acme.nl",
            "password_login": "",
        },
    )
    assert response.status_code == 302
    sign_on = SingleSignOn.objects.get(organisation=org.organisation)
    assert sign_on.domains == "acme.example, acme.nl"
    assert sign_on.issuer == "https://login.example.com/tenant/v2.0"
    assert "very-secret" not in sign_on.client_secret_encrypted
    assert decrypt_secret(sign_on.client_secret_encrypted) == "very-secret"
    assert not Organisation.objects.get(pk=org.organisation.pk).password_login
    page = client.get(reverse("organisations:single_sign_on")).content.decode()
    assert "very-secret" not in page


def test_a_domain_cannot_be_claimed_by_two_organisations(client, org):
    SingleSignOn.objects.create(
        organisation=org.other, issuer="https://x.example", client_id="x", domains="acme.example"
    )
    client.force_login(org.manager)
    response = client.post(
        reverse("organisations:single_sign_on"),
        {
            "issuer": "https://login.example.com",
            "client_id": "kk",
            "client_secret": "s",
            "domains": "acme.example",
            "password_login": "on",
        },
    )
    assert response.status_code == 400
    assert "already signs in with another organisation" in response.content.decode()


@pytest.mark.skipif(not CHROMIUM, reason="no chromium here (apt-get install chromium)")
@pytest.mark.django_db(transaction=True)
def test_signing_in_through_the_providers_page_in_chromium_lands_on_the_home_page(
    live_server, provider, monkeypatch
):
    playwright = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    provider.allow(f"{live_server.url}/accounts/sso/callback/")
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    team = Team.objects.create(organisation=organisation, name="Counter", slug="counter")
    ann = User.objects.create_user(
        "ann@acme.example",
        email="ann@acme.example",
        first_name="Ann",
        last_name="Example",
        organisation=organisation,
        language="en",
    )
    Membership.objects.create(user=ann, team=team)
    SingleSignOn.objects.create(
        organisation=organisation,
        enabled=True,
        issuer=provider.issuer,
        client_id="koning-klant",
        client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
        domains="acme.example",
    )
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(locale="en-GB").new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#sso-email", "ann@acme.example")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{provider.url}/login/**")
        assert "Test Identity Provider" in page.content()
        page.fill("input[name=username]", "ann@acme.example")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        started = time.monotonic()
        page.wait_for_url(f"{live_server.url}/", timeout=15_000)
        assert time.monotonic() - started < 15
        assert "Ann Example" in page.inner_text("header")
        assert problems == []
        browser.close()


def test_no_password_reset_mail_where_password_login_is_off(client, org, mailoutbox):
    Organisation.objects.filter(pk=org.organisation.pk).update(password_login=False)
    client.post(reverse("password_reset"), {"email": org.employee.email})
    client.post(reverse("password_reset"), {"email": org.other_manager.email})
    assert [message.to for message in mailoutbox] == [[org.other_manager.email]]
