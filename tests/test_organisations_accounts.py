"""Logging in and out, throttling of password guessing, and password reset by e-mail."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_login_with_right_password_goes_home(client, org):
    response = log_in(client, "employee", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_says_so_without_telling_whether_the_user_exists(client, org):
    wrong_password = log_in(client, "employee", "nope")
    no_such_user = log_in(client, "nobody-here", "nope")
    assert wrong_password.status_code == no_such_user.status_code == 200
    message = "Please enter a correct username and password"
    assert message in wrong_password.content.decode()
    assert message in no_such_user.content.decode()


def test_logout_is_a_post_and_ends_the_session(client, org):
    client.force_login(org.employee)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_guessing_locks_that_name_from_that_address_and_answers_alike_for_unknown_names(
    client, org, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "employee", "guess")
        log_in(client, "nobody-here", "guess")
    real = log_in(client, "employee", PASSWORD)
    unknown = log_in(client, "nobody-here", PASSWORD)
    assert real.status_code == unknown.status_code == 429
    assert "Too many attempts" in real.content.decode()
    assert without_per_request_values(real) == without_per_request_values(unknown)


def without_per_request_values(response):
    page = re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
    return page


def test_guessing_from_elsewhere_does_not_lock_out_a_colleague(client, org, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        log_in(client, "employee", "guess", address="10.6.6.6")
    response = log_in(client, "employee", PASSWORD, address="10.0.0.1")
    assert response.status_code == 302


def test_lockout_ends_after_the_cool_off(client, org, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "employee", "guess")
    assert log_in(client, "employee", PASSWORD).status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert log_in(client, "employee", PASSWORD).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, org):
    response = client.post(reverse("password_reset"), {"email": org.employee.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Fresh-passw0rd-2026", "new_password2": "Fresh-passw0rd-2026"},
    )
    assert done.status_code == 302
    org.employee.refresh_from_db()
    assert org.employee.check_password("Fresh-passw0rd-2026")


def test_password_reset_answers_the_same_for_an_unknown_address(client, org):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("url_name", ["login", "password_reset"])
def test_account_pages_render_in_dutch(url_name, db):
    from django.test import Client

    dutch = Client(headers={"accept-language": "nl"})
    page = dutch.get(reverse(url_name)).content.decode()
    assert 'lang="nl"' in page
    assert "Inloggen" in page or "wachtwoord" in page


def test_one_address_trying_many_names_is_paused(client, org, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "10/h"
    for n in range(10):
        log_in(client, f"name{n}", "Welcome2026!", address="10.7.7.7")
    assert log_in(client, "employee", PASSWORD, address="10.7.7.7").status_code == 429
    assert log_in(client, "employee", PASSWORD, address="10.7.7.8").status_code == 302


def test_behind_a_trusted_proxy_the_clients_own_address_counts(client, org, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            reverse("login"),
            {"username": "employee", "password": "guess"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # forged left part, real client right
        )
    colleague = client.post(
        reverse("login"),
        {"username": "employee", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert colleague.status_code == 302


def test_password_reset_mail_is_in_the_persons_language(client, org):
    org.employee.language = "nl"
    org.employee.save()
    client.post(reverse("password_reset"), {"email": org.employee.email})
    assert mail.outbox[0].subject == "Je nieuwe wachtwoord voor Koning Klant"


def test_password_reset_requests_are_limited_per_address_and_per_email(client, org, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = "2/h"
    for _ in range(2):
        assert (
            client.post(reverse("password_reset"), {"email": org.employee.email}).status_code == 302
        )
    flood = client.post(reverse("password_reset"), {"email": org.employee.email})
    assert flood.status_code == 429
    assert len(mail.outbox) == 2
