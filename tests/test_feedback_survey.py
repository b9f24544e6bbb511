"""The customer's public survey form: one answer per submit, protected against bots and floods."""

import re

import pytest
from django.test import Client

from feedback.models import Response, SurveyLink


@pytest.fixture
def link(org):
    return SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="Desk")


def open_form(client, link):
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 200
    return re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def answer(client, link, submission, **fields):
    data = {"score": "9", "comment": "", "submission": submission, "website": ""} | fields
    return client.post(f"/s/{link.token}/", data, REMOTE_ADDR=fields.pop("ip", "10.1.1.1"))


def test_a_customer_answers_and_is_thanked(client, link):
    submission = open_form(client, link)
    response = answer(client, link, submission, score="3", comment="Lang gewacht, bel 0612345678")
    assert response.status_code == 302
    assert response["Location"] == f"/s/{link.token}/thanks/"
    thanks = client.get(response["Location"])
    assert "Thank you" in thanks.content.decode()
    stored = Response.objects.get()
    assert (stored.score, stored.team, stored.source) == (3, link.team, "form")
    assert stored.comment == "Lang gewacht, bel ⟦phone⟧"
    assert stored.survey_link == link and stored.contact_email == ""


def test_the_form_works_without_javascript_and_in_dutch(link):
    dutch = Client(headers={"accept-language": "nl"})
    page = dutch.get(f"/s/{link.token}/").content.decode()
    assert '<html lang="nl">' in page
    assert "<script" not in page  # nothing to run: plain HTML form
    assert page.count('type="radio" name="score"') == 11


def test_double_submit_and_reload_store_one_answer(client, link):
    submission = open_form(client, link)
    for _ in range(3):
        assert answer(client, link, submission).status_code == 302
    assert Response.objects.count() == 1
    answer(client, link, open_form(client, link))
    assert Response.objects.count() == 2


def test_the_honeypot_catches_bots_without_telling_them(client, link):
    response = answer(client, link, open_form(client, link), website="http://spam.example")
    assert response.status_code == 302
    assert Response.objects.count() == 0


def test_answers_are_rate_limited_per_address(client, link, settings):
    settings.SURVEY_RATE_PER_ADDRESS = "3/m"
    for _ in range(3):
        assert answer(client, link, open_form(client, link), ip="10.9.9.9").status_code == 302
    blocked = answer(client, link, open_form(client, link), ip="10.9.9.9")
    assert blocked.status_code == 429
    assert answer(client, link, open_form(client, link), ip="10.9.9.8").status_code == 302
    assert Response.objects.count() == 4


def test_answers_are_rate_limited_per_link(client, link, settings):
    settings.SURVEY_RATE_PER_LINK = "2/m"
    for n in range(2):
        assert answer(client, link, open_form(client, link), ip=f"10.0.0.{n}").status_code == 302
    assert answer(client, link, open_form(client, link), ip="10.0.0.99").status_code == 429
    assert Response.objects.count() == 2


def test_contact_email_is_kept_only_with_consent(client, link):
    answer(client, link, open_form(client, link), email="anna@example.org")
    answer(
        client, link, open_form(client, link), email="bert@example.org", may_contact="on", score="2"
    )
    assert set(Response.objects.values_list("score", "contact_email")) == {
        (9, ""),
        (2, "bert@example.org"),
    }


def test_consent_without_an_email_asks_for_one(client, link):
    response = answer(client, link, open_form(client, link), may_contact="on")
    assert response.status_code == 400
    assert "Fill in your e-mail address" in response.content.decode()
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"score": ""},
        {"score": "11"},
        {"score": "-1"},
        {"score": "abc"},
        {"submission": "not-hex"},
        {"submission": ""},
        {"comment": "x" * 2001},
    ],
)
def test_bad_answers_are_shown_again_with_a_message(client, link, fields):
    submission = open_form(client, link)
    response = answer(client, link, fields.pop("submission", submission), **fields)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert Response.objects.count() == 0


def test_csrf_is_enforced(link):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/s/{link.token}/", {"score": "9", "submission": "a" * 32})
    assert response.status_code == 403
    assert Response.objects.count() == 0


def test_a_paused_link_takes_no_answers(client, link):
    submission = open_form(client, link)
    link.is_paused = True
    link.save()
    page = client.get(f"/s/{link.token}/")
    assert "This survey is paused" in page.content.decode()
    answer(client, link, submission)
    assert Response.objects.count() == 0


def test_a_revoked_or_unknown_link_is_not_found(client, link):
    link.revoke()
    assert client.get(f"/s/{link.token}/").status_code == 404
    assert client.get("/s/not-a-real-token/").status_code == 404


def test_link_tokens_are_long_and_random(link, org):
    other = SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="B")
    assert len(link.token) >= 22 and link.token != other.token


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_the_team_lead_downloads_a_qr_code_of_the_link(client, org, link, fmt, magic):
    client.force_login(org.lead)
    response = client.get(f"/links/{link.pk}/qr.{fmt}")
    assert response.status_code == 200
    assert response.content.startswith(magic)
    if fmt == "svg":
        assert b'xmlns="http://www.w3.org/2000/svg"' in response.content
