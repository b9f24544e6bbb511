"""Every page of the demo, opened in Dutch by every demo login (and the public survey form),
shows its dates and periods in Dutch: no English month, weekday or period, and no ISO date or
period ("2026-11", "2026-Q3", "2026-W47", "2026-11-29") in the visible text. The values of
``value=`` and ``datetime=`` attributes are for machines and may stay ISO, and so may a
``<code>`` example of what a file must contain.

The pages are found as a person finds them: by following the links from the home page."""

import json
import re
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qs, urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from dashboards.management.commands import seed_demo
from organisations.models import User

LOGINS = ["manager", "hr", "lead", "employee", "employee2"]
# Not pages: downloads, the language switch, leaving, and pages outside the product.
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/|api/|healthz|static/)|/export|\.(csv|xlsx|svg|png)$"
)
# Read one address of each shape (numbers folded) per login: the tenth idea page says nothing
# the first did not; each period of a page (?period=week) is a shape of its own.
PER_SHAPE = 1

WRONG = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "an ISO date"),
    (re.compile(r"\b\d{4}-(?:0[1-9]|1[0-2])\b"), "an ISO month"),
    (re.compile(r"\b\d{4}-W\d{2}\b"), "an ISO week"),
    (re.compile(r"\b\d{4}-Q[1-4]\b"), "an ISO quarter"),
    (re.compile(r"\bQ[1-4] \d{4}\b"), "an English quarter"),
    (re.compile(r"\bweek \d{1,2} of \d{4}\b"), "an English week"),
    # Only the months whose Dutch names differ (april, september, november, december do not).
    (
        re.compile(r"\b(?:January|February|March|May|June|July|August|October)\b", re.I),
        "an English month",
    ),
    (
        re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.I),
        "an English weekday",
    ),
    # Django's "M" title-cases Dutch abbreviations ("14 Mei 2026") unlike every other date.
    (re.compile(r"\b\d{1,2} (?:Jan|Feb|Mrt|Apr|Mei|Jun|Jul|Aug|Sep|Okt|Nov|Dec)\b"), "a 'Mei'"),
    (re.compile(r"(?<![\w-])-0(?![\d,.])"), "a '-0'"),
]
# Text people read besides the text between tags.
READ_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "aria-description"}


class VisibleText(HTMLParser):
    """The text of a page as people read it (and screen readers), its chart labels, and its
    links."""

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._skip, self._json = [], [], 0, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "code"):
            self._skip += 1
            self._json = attrs.get("type") == "application/json"
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.parts.extend(attrs[name] for name in READ_ATTRIBUTES if attrs.get(name))
        if attrs.get("data-charts"):  # chart data: its labels end up on the axes
            self.parts.extend(_labels(json.loads(attrs["data-charts"])))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._skip -= 1
            self._json = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
        elif self._json:  # chart data: its labels end up on the axes
            self.parts.extend(_labels(json.loads(data)))


def _labels(data):
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("labels", "label", "title", "texts", "name") and isinstance(value, str):
                yield value
            elif key in ("labels", "texts") and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from _labels(value)
    elif isinstance(data, list):
        for item in data:
            yield from _labels(item)


def _shape(address):
    """The address with numbers, tokens, team slugs and every query value but the period
    folded away."""
    parts = urlsplit(address)
    path = re.sub(r"/(s|teams)/[^/]+/", r"/\1/SLUG/", parts.path)
    path = re.sub(r"\d+", "N", path)
    query = parse_qs(parts.query)
    return path, tuple(sorted(query)), tuple(query.get("period", []))


@pytest.fixture
def demo(db, settings, monkeypatch):
    settings.DEBUG = True  # seed_demo refuses otherwise
    monkeypatch.setattr(seed_demo, "DEMO_RESPONSES", 400)
    monkeypatch.setattr(seed_demo, "DEMO_INTERACTIONS", 400)
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


def crawl(client, start="/"):
    """(path, visible text) of every page reachable from ``start`` by links."""
    seen, shapes, queue = set(), {}, [start]
    while queue:
        path = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        seen.add(path)
        shape = _shape(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > PER_SHAPE:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.content.decode())
        yield path, " ".join(parser.parts)
        for link in parser.links:
            link = urldefrag(link)[0]
            if link.startswith("/") and not link.startswith("//"):
                queue.append(link)
            elif link.startswith("?"):
                queue.append(urlsplit(path).path + link)


def wrong_dates(text):
    text = re.sub(r"\s+", " ", text)
    found = []
    for pattern, what in WRONG:
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 40) : match.end() + 40]
            found.append(f"{what}: …{context}…")
    return found


def test_every_demo_page_in_dutch_has_dutch_dates_and_periods(demo):
    problems, pages = [], 0
    public = set()
    for username in LOGINS:
        client = Client(headers={"accept-language": "nl"})
        client.force_login(User.objects.get(username=username))
        for path, text in crawl(client):
            pages += 1
            problems.extend(f"{username} {path}: {found}" for found in wrong_dates(text))
            public.update(re.findall(r"/s/[\w-]+/", text))
    for path in sorted(public)[:1]:  # the customers' form, as a customer opens it
        for path_read, text in crawl(Client(headers={"accept-language": "nl"}), path):
            pages += 1
            problems.extend(f"public {path_read}: {found}" for found in wrong_dates(text))
    assert pages > 40, "the crawl found too few pages to say anything"
    assert problems == [], "\n".join(problems)
