"""Every page at phone width (390 px), for every demo login, in a real browser: the page never
scrolls sideways, and a table too wide for the screen scrolls inside its own box, which says
so ("swipe sideways for more columns") and keeps its first column in view.

One browser, one tab per login. Pages are found as people find them, by following links from
each login's home page; each shape of address (numbers, slugs and query folded away) is opened
once, by the first login that reaches it, so a page that only a lead or HR sees is opened by
them, and the walk stays short (every login's own home page is opened)."""

import re
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command

from dashboards.management.commands import seed_demo
from tests.test_e2e_browser import WATCH, browser, collected  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

LOGINS = ["manager", "hr", "lead", "employee", "employee2"]
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/|api/|healthz|static/)|/export|\.(csv|xlsx|svg|png)$"
)

# Run in the page: what makes it scroll sideways, and wide boxes that do not say they scroll.
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className ? "." + el.className.trim() : "");
  const all = [...document.querySelectorAll("body *")];
  const scrollers = all.filter((el) => {
    const overflow = getComputedStyle(el).overflowX;
    return (overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1;
  });
  const problems = [];
  for (const el of scrollers) {
    const cue = el.previousElementSibling;
    const says = el.classList.contains("scrolls") && cue && cue.classList.contains("scroll-cue")
      && !cue.hidden && cue.getBoundingClientRect().height > 0;
    if (!says) problems.push("scrolls without saying so: " + describe(el));
  }
  if (document.documentElement.scrollWidth > width + 1) {
    for (const el of all) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) continue;
      if (scrollers.some((s) => s !== el && s.contains(el))) continue;
      const parent = el.parentElement;
      const outer = parent && parent !== document.body ? parent.getBoundingClientRect() : null;
      if (outer && outer.right > width + 1) continue;
      problems.push("sticks out to " + Math.round(box.right) + "px: " + describe(el));
    }
    if (!problems.length) problems.push("the page scrolls sideways");
  }
  return problems;
}
"""


def _shape(path):
    path = re.sub(r"/(s|teams)/[^/]+/", r"/\1/SLUG/", urlsplit(path).path)
    return re.sub(r"\d+", "N", path)


def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, settings, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DEBUG = True  # seed_demo refuses otherwise
    monkeypatch.setattr(seed_demo, "DEMO_RESPONSES", 400)
    monkeypatch.setattr(seed_demo, "DEMO_INTERACTIONS", 400)
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False

    problems, opened, seen = [], 0, set()
    for username in LOGINS:
        context = browser.new_context(
            locale="nl-NL",
            viewport={"width": 390, "height": 844},
            extra_http_headers={"Accept-Language": "nl"},
        )
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", seed_demo.DEMO_PASSWORD)
        page.locator("button.primary[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        queue, home = ["/"], True
        while queue:
            path = queue.pop(0)
            shape = _shape(path)
            if (shape in seen and not home) or SKIP.search(path):
                continue
            seen.add(shape)
            home = False
            response = page.goto(live_server.url + path, wait_until="domcontentloaded")
            if response is None or response.status != 200:
                continue
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            opened += 1
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.wait_for_timeout(50)  # the tables' script marks what scrolls on toggle
            problems.extend(f"{username} {path}: {found}" for found in page.evaluate(OVERFLOW))
            for link in page.eval_on_selector_all(
                "a[href]", "els => els.map(a => a.getAttribute('href'))"
            ):
                link = urldefrag(link)[0]
                if link.startswith("/") and not link.startswith("//"):
                    queue.append(link)
        problems.extend(f"{username}: {found}" for found in collected(page, []))
        context.close()
    assert opened > 30, "the walk found too few pages to say anything"
    assert problems == [], "\n".join(problems)
