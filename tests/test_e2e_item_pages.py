"""The plan item's own pages (opened from a bookmark or a new tab) save in a real browser, with
JavaScript and without: htmx attributes aimed at a ladder that is not on the page used to
swallow the submit, which only a browser running htmx shows."""

import datetime as dt
import re

import pytest

from levels.models import PlanItem
from organisations.models import Organisation, Role, User
from programmes.models import Programme
from tests.test_e2e_browser import WATCH, browser, collected  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a long enough password"


def logged_in_page(browser, live_server, problems, *, javascript):  # noqa: F811
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_both_item_pages_save_on_their_own(live_server, browser, monkeypatch, javascript):  # noqa: F811
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    User.objects.create_user(
        "maria",
        password=PASSWORD,
        organisation=organisation,
        role=Role.MANAGEMENT,
        language="en",
    )
    programme = Programme.objects.create(
        organisation=organisation,
        name="Right first time",
        vision="v",
        mission="m",
        why="w",
        starts_on=dt.date(2026, 1, 1),
        is_current=True,
    )
    mission = PlanItem.objects.create(programme=programme, level=1, title="Customers come back")

    problems = []
    page = logged_in_page(browser, live_server, problems, javascript=javascript)

    page.goto(f"{live_server.url}/programme/{programme.pk}/items/new/?level=2")
    page.fill("input[name=title]", "We get it right")
    page.select_option("select[name=serves]", str(mission.pk))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/programme/#plan-heading$"))
    created = PlanItem.objects.get(level=2)
    assert created.title == "We get it right" and created.serves == mission
    assert "“We get it right” is added." in page.inner_text("body")

    page.goto(f"{live_server.url}/programme/items/{created.pk}/edit/")
    page.fill("input[name=title]", "We get it right the first time")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/programme/#plan-heading$"))
    created.refresh_from_db()
    assert created.title == "We get it right the first time"
    assert "is saved." in page.inner_text("body")

    if javascript:
        assert collected(page, problems) == []
