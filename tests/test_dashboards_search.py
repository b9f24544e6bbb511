"""Searching the comment feed (``?q=``): Dutch and English word forms on PostgreSQL, a substring
elsewhere, matched words highlighted without letting a customer's markup through, paging through
the matches once each, and a fixed number of queries whatever the number of comments."""

import datetime as dt
import html
import re
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dashboards import customers, feed
from feedback import search
from feedback.models import Response, Theme
from feedback.privacy import customer_hasher

needs_full_text = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="full-text search (Dutch and English stemming) needs PostgreSQL",
)


def add_comments(org, team, comments, *, score=5, start=0, customer_ref=""):
    """Comments straight into the table, the first the newest (one minute apart)."""
    now = timezone.now()
    hasher = customer_hasher(org.organisation.customer_ref_secret)
    rows = [
        Response(
            organisation=org.organisation,
            team=team,
            score=score,
            comment=comment,
            customer_hash=hasher(customer_ref) if customer_ref else "",
            submitted_at=now - dt.timedelta(minutes=start + n),
            local_day=(now - dt.timedelta(minutes=start + n)).date(),
            source="api",
        )
        for n, comment in enumerate(comments)
    ]
    return Response.objects.bulk_create(rows)


def feed_html(client, **params):
    url = reverse("dashboards:team_detail", args=["alpha"])
    answer = client.get(
        f"{url}?{urlencode(params)}", headers={"hx-request": "true", "hx-target": "feed"}
    )
    assert answer.status_code == 200
    return answer.content.decode()


def shown(page):
    return re.sub(r"</?mark>", "", page)


@needs_full_text
@pytest.mark.django_db
def test_search_finds_dutch_and_english_word_forms(client, org):
    add_comments(
        org,
        org.team_a,
        [
            "De wachttijd aan de telefoon was erg lang.",
            "The deliveries were late again.",
            "Vriendelijk geholpen, geen klachten.",
        ],
    )
    client.force_login(org.employee)

    def found(q):
        page = shown(feed_html(client, q=q))
        return [
            text for text in ("wachttijd aan", "deliveries were", "Vriendelijk") if text in page
        ]

    assert found("wachttijden") == ["wachttijd aan"]  # Dutch plural, stemmed
    assert found("delivery") == ["deliveries were"]  # English singular, stemmed
    assert found("wacht") == ["wachttijd aan"]  # the start of a word, as you type
    assert found("TELEFOON lang") == ["wachttijd aan"]  # every word, any case
    assert found("wachttijd deliveries") == []
    assert found("klacht") == ["Vriendelijk"]
    assert found("tijd") == []  # words, not substrings: a compound's tail is not a word


@pytest.mark.django_db
def test_search_highlights_the_match_and_escapes_the_customers_text(client, org):
    add_comments(
        org,
        org.team_a,
        [
            '<script>alert("x")</script> Lange wachttijd & <b>geen</b> excuses,\n'
            "bel me op ⟦phone⟧ \ue000 \ue001"
        ],
    )
    client.force_login(org.employee)
    page = feed_html(client, q="wachttijd")
    text = page.split('<blockquote class="comment-text">', 1)[1].split("</blockquote>", 1)[0]
    assert "<script" not in page and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "<mark>wachttijd</mark> &amp; &lt;b&gt;geen&lt;/b&gt; excuses,<br>" in text
    assert "[phone number]" in text  # the redaction marker in the reader's language
    assert "\ue000" not in text and "\ue001" not in text
    assert text.count("<mark>") == text.count("</mark>") == 1


def test_highlighting_balances_and_escapes_every_mark():
    start, stop = search.START, search.STOP
    # Both languages' passes marked the same word: one mark.
    assert search.highlighted(f"{start}{start}<i>{stop}{stop} ok") == "<mark>&lt;i&gt;</mark> ok"
    assert search.highlighted(f"{start}open") == "<mark>open</mark>"
    assert search.highlighted(f"stray{stop} ⟦{start}phone{stop}⟧") == "stray [phone number]"
    assert search.marked_substring("Queue, QUEUE", "queue") == (
        f"{start}Queue{stop}, {start}QUEUE{stop}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("window", [feed.WINDOW, 7])
def test_search_pages_through_every_match_once_newest_first(client, org, monkeypatch, window):
    # With a window of 7 most matches lie below the newest comments: the second step finds them.
    monkeypatch.setattr(feed, "WINDOW", window)
    comments = [
        f"Pakket {n:02d} te laat" if n % 3 == 0 else f"Vriendelijk {n:02d}" for n in range(75)
    ]
    add_comments(org, org.team_a, comments)
    add_comments(org, org.team_b, ["Pakket 99 van een ander team"])
    client.force_login(org.employee)
    seen, params = [], {"q": "pakket"}
    while params is not None:
        page = shown(feed_html(client, **params))
        seen += re.findall(r"Pakket (\d\d)", page)
        more = re.search(r'<li class="more"[^>]*><a class="button" href="\?([^"]+)"', page)
        params = dict(parse_qsl(html.unescape(more.group(1)))) if more else None
    assert seen == [f"{n:02d}" for n in range(0, 75, 3)]


@pytest.mark.django_db
@pytest.mark.parametrize("window", [feed.WINDOW, 5])
def test_a_rare_theme_with_a_category_beyond_the_newest_comments(client, org, monkeypatch, window):
    monkeypatch.setattr(feed, "WINDOW", window)
    parking = Theme.objects.create(organisation=org.organisation, name="Parking", keywords="x")
    add_comments(org, org.team_a, [f"Filler {n}" for n in range(30)], score=2)
    rare = add_comments(org, org.team_a, ["No parking at all", "Parking was fine"], start=30)
    rare[0].score, rare[1].score = 1, 10
    Response.objects.bulk_update(rare, ["score"])
    for response in rare:
        response.themes.add(parking)
    client.force_login(org.employee)
    page = feed_html(client, theme=parking.pk, category="detractors")
    assert "No parking at all" in page and "Parking was fine" not in page and "Filler" not in page


@pytest.mark.django_db
def test_a_search_of_punctuation_only_shows_nothing_and_changes_nothing(client, org):
    add_comments(org, org.team_a, ["Prima"])
    client.force_login(org.employee)
    for q in ("!!!", "'&|:*", "(<->)", "a" * 300):
        assert "No comments match these filters." in feed_html(client, q=q)
    assert Response.objects.count() == 1


def _count_feed_queries(org, q, comments, django_assert_num_queries, expected):
    add_comments(org, org.team_a, comments)
    chosen = feed.FeedFilter(q=q)
    with django_assert_num_queries(expected):
        page, _next = feed.comment_feed(org.employee, org.team_a, chosen)
    return page


@needs_full_text
@pytest.mark.django_db
@pytest.mark.parametrize("filler", [10, 60])
def test_search_takes_a_fixed_number_of_queries(
    org, monkeypatch, django_assert_num_queries, filler
):
    monkeypatch.setattr(feed, "WINDOW", 30)
    comments = ["Pakket kwijt"] * 25 + ["Zonnebloemen bij de deur"] + ["Prima"] * filler
    # A common word: where the newest comments begin (1), its page among them (1), then the
    # page's rows (1), their themes, marks and answers (3).
    page = _count_feed_queries(org, "pakket", comments, django_assert_num_queries, 6)
    assert len(page) == feed.FEED_SIZE
    # A rare word: as above, and the matches older than the newest comments, by the index (1).
    with django_assert_num_queries(7):
        page, _next = feed.comment_feed(org.employee, org.team_a, feed.FeedFilter(q="zonnebloem"))
    assert [response.comment for response in page] == ["Zonnebloemen bij de deur"]
    assert "<mark>Zonnebloemen</mark>" in page[0].comment_html


@needs_full_text
@pytest.mark.django_db
def test_erasing_a_customer_erases_their_words_from_the_search(org):
    add_comments(org, org.team_a, ["Mijn buurman Zebedeus klaagt ook"], customer_ref="K-1")
    assert search.matching(Response.objects.all(), "zebedeus").count() == 1
    customers.erase(org.organisation, org.manager, "K-1")
    assert search.matching(Response.objects.all(), "zebedeus").count() == 0
