"""End to end in a real browser: a customer answers the public form, a worker aggregates, an
employee sees the new response on the team page, switches the period with htmx, and the charts
draw without a console error or a Content-Security-Policy violation.

Playwright drives Debian's chromium through its executable path (CI installs it); the test is
skipped, saying why, where either is missing.
"""

import os
import shutil
import time

import pytest

from feedback.models import Response, SurveyLink
from organisations.models import Organisation, Team, User

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM, reason="no chromium here (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

# Every page under test collects what the browser reports: script errors, console errors and
# CSP violations (the last through the DOM event, which also catches blocked inline styles).
WATCH = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__problems.push("CSP: " + e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def watched_page(browser, problems):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    return page


def collected(page, problems):
    return problems + page.evaluate("window.__problems || []")


@pytest.fixture
def worker_if_possible(request, settings):
    """A real Celery worker where Redis and PostgreSQL are there (CI); elsewhere tasks run in
    the web process, so the test still walks the whole path."""
    if settings.REDIS_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return request.getfixturevalue("celery_worker")
    return None


def test_customer_answer_reaches_the_team_page_and_charts_draw(
    live_server, browser, worker_if_possible, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
    # synchronous test set-up and checks, not async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    team = Team.objects.create(organisation=organisation, name="Counter", slug="counter")
    employee = User.objects.create_user(
        "emma", password="a long enough password", organisation=organisation, language="en"
    )
    team.memberships.create(user=employee)
    link = SurveyLink.objects.create(organisation=organisation, team=team, name="Desk")

    problems = []
    customer = watched_page(browser, problems)
    customer.goto(f"{live_server.url}/s/{link.token}/")
    customer.check("input[name=score][value='3']", force=True)
    customer.fill("textarea[name=comment]", "The queue at the desk was far too long today.")
    customer.get_by_role("button", name="Send").click()
    customer.wait_for_url("**/thanks/")
    assert Response.objects.filter(team=team).count() == 1

    page = watched_page(browser, problems)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "emma")
    page.fill("input[name=password]", "a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    # The worker aggregates: the score shows in the tile within a few seconds.
    deadline = time.monotonic() + 10
    while True:
        page.goto(f"{live_server.url}/teams/counter/")
        if "1 score" in page.inner_text("#figures"):
            break
        assert time.monotonic() < deadline, "the new response never reached the team page"
        time.sleep(0.5)
    assert "The queue at the desk was far too long today." in page.inner_text("#feed")
    page.wait_for_selector("#chart-nps .main-svg")
    assert page.locator(".chart .main-svg").count() >= 3

    # The period switch swaps the figures in place: no new page load.
    page.evaluate("window.__samePage = true")
    page.get_by_role("link", name="Week", exact=True).click()
    page.wait_for_selector("#figures >> text=This week")
    page.wait_for_selector("#chart-nps .main-svg")
    assert page.evaluate("window.__samePage") is True
    assert page.url.endswith("?period=week")
    assert page.locator(".period-switch a[aria-current=true]").inner_text() == "Week"

    # Marking the comment as read redraws it in place.
    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_selector("button[aria-pressed=true] >> text=Read")
    assert page.evaluate("window.__samePage") is True

    assert collected(page, problems) == []


def test_the_menu_folds_on_a_phone_and_opens_with_its_button(live_server, browser, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    User.objects.create_user("pia", password="a long enough password", organisation=organisation)
    problems = []
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "pia")
    page.fill("input[name=password]", "a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    board = page.locator("#main-nav").get_by_role("link", name="Board")
    assert not board.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert board.is_visible()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert collected(page, problems) == []
