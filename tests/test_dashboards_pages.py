"""The dashboards: team page (figures, period switch, comment feed, marks, answers), the board,
the management view, exports and the weekly digest."""

import csv
import datetime as dt
import html
import io
import json
import re
import time

import pytest
from django.core import mail, signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dashboards import digest, feed, figures
from dashboards.digest import digest_opt_out_token
from dashboards.exports import as_bytes, neutralise
from dashboards.models import CommentMark, Reply
from dashboards.templatetags.charts import sparkline
from feedback import ingest
from feedback.models import Theme
from kpis import read
from tests.factories import TeamFactory, UserFactory

# 18, and two for the team's open ideas: the ideas, and whether the person may propose one.
TEAM_PAGE_QUERIES = 21  # one more: how far the customer history reaches back
BOARD_QUERIES = 12


def add_responses(org, team, scores, *, comment="Fine", days_ago=0, prefix="r", **extra):
    """Responses through the real ingest path (rollups follow, tasks run in-process)."""
    now = timezone.now() - dt.timedelta(days=days_ago)
    rows = [
        {
            "team_id": team.pk,
            "score": score,
            "comment": comment.format(n=n) if comment else "",
            "customer_hash": "",
            "submitted_at": now - dt.timedelta(seconds=n),
            "external_id": f"{prefix}{team.pk}-{days_ago}-{n}",
            **extra,
        }
        for n, score in enumerate(scores)
    ]
    with transaction.atomic():
        ingest.store_responses(org.organisation, rows, source="api")


def team_url(slug="alpha", **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("dashboards:team_detail", args=[slug]) + (f"?{query}" if query else "")


def htmx(client, url, target):
    return client.get(url, headers={"hx-request": "true", "hx-target": target})


# --- The team page --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_team_page_shows_this_periods_nps_with_interval_and_chart_data(client, org):
    add_responses(org, org.team_a, [10] * 20 + [8] * 5 + [3] * 15)
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    # 20 promoters, 15 detractors of 40: NPS 12.5, shown as 12 (rounded half to even) or 13
    assert re.search(r'class="tile-value">1[23]<', page)
    assert "40 scores" in page
    data = json.loads(html.unescape(re.search(r'data-charts="([^"]*)"', page).group(1)))
    nps = data["charts"][0]
    assert nps["id"] == "nps" and nps["value"][-1] == 12.5 and nps["n"][-1] == 40
    assert nps["low"][-1] < 12.5 < nps["high"][-1]
    assert len(data["labels"]) == 12  # a year of months


def test_chart_data_travels_in_an_escaped_attribute_not_a_script(client, org):
    client.force_login(org.manager)
    page = client.get(team_url()).content.decode()
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []  # no inline script at all
    data = json.loads(html.unescape(re.search(r'data-charts="([^"]*)"', page).group(1)))
    assert [chart["id"] for chart in data["charts"]] == ["nps", "error_rate", "returning"]


def test_period_switch_by_htmx_returns_only_the_figures(client, org):
    client.force_login(org.employee)
    response = htmx(client, team_url(period="week"), "figures")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="figures"') and "<html" not in page
    assert 'aria-current="true">Week<' in page
    assert "This week" in page
    # Without htmx the same address gives the whole page, so it can be bookmarked.
    full = client.get(team_url(period="quarter")).content.decode()
    assert "<html" in full and "This quarter" in full


def test_unknown_period_falls_back_to_month(client, org):
    client.force_login(org.employee)
    page = client.get(team_url(period="decade")).content.decode()
    assert "This month" in page


@pytest.mark.django_db(transaction=True)
def test_themes_among_detractors_this_period_against_the_last(client, org):
    Theme.objects.create(organisation=org.organisation, name="Waiting", keywords="wait")
    add_responses(org, org.team_a, [2, 3, 4], comment="Long wait {n}")
    add_responses(org, org.team_a, [10], comment="No wait at all", prefix="p")
    client.force_login(org.employee)
    page = client.get(team_url(period="week")).content.decode()
    section = page.split("Where customers are unhappy", 1)[1].split("</section>", 1)[0]
    assert re.search(r"Waiting</th><td class=\"num\">3</td><td class=\"num\">0</td>", section)


# --- The comment feed -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_feed_never_shows_another_teams_comments(client, org):
    add_responses(org, org.team_a, [9], comment="Alpha was great")
    add_responses(org, org.team_b, [2], comment="Beta was rude")
    add_responses(org, org.other_team, [2], comment="Other org secret")
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    assert "Alpha was great" in page
    assert "Beta was rude" not in page and "Other org secret" not in page
    # Filters and paging cannot widen it either.
    for params in ({"q": "rude"}, {"category": "detractors"}, {"before": "2100-01-01T00:00~99"}):
        response = htmx(client, team_url(**params), "feed").content.decode()
        assert "Beta was rude" not in response and "Other org secret" not in response
    # HR sees the team's figures but never customers' words.
    client.force_login(org.hr)
    page = client.get(team_url()).content.decode()
    assert "Alpha was great" not in page and "What customers say" not in page


@pytest.mark.django_db(transaction=True)
def test_feed_filters_by_category_theme_and_text(client, org):
    waiting = Theme.objects.create(organisation=org.organisation, name="Waiting", keywords="queue")
    add_responses(org, org.team_a, [1], comment="Endless queue", prefix="a")
    add_responses(org, org.team_a, [7], comment="Okay service", prefix="b")
    add_responses(org, org.team_a, [10], comment="Friendly staff", prefix="c")
    client.force_login(org.employee)

    def feed(**params):
        return htmx(client, team_url(**params), "feed").content.decode()

    assert "Endless queue" in feed(category="detractors")
    assert "Friendly staff" not in feed(category="detractors")
    assert "Okay service" in feed(category="passives")
    assert "Friendly staff" in feed(category="promoters")
    assert "Endless queue" in feed(theme=waiting.pk) and "Okay service" not in feed(
        theme=waiting.pk
    )
    assert "Friendly</mark> staff" in feed(q="FRIENDLY") and "Endless" not in feed(q="friendly")
    assert "No comments match these filters." in feed(q="nothing like this")
    # Nonsense in the query string is ignored, not an error.
    assert "Endless queue" in feed(category="bogus", theme="abc", before="garbage")


@pytest.mark.django_db(transaction=True)
def test_feed_pages_through_every_comment_once_newest_first(client, org):
    add_responses(org, org.team_a, [5] * 45, comment="Comment number {n:02d}")
    client.force_login(org.employee)
    seen, url, target = [], team_url(), "feed"
    while url:
        page = htmx(client, url, target).content.decode()
        seen += re.findall(r"Comment number (\d\d)", page)
        more = re.search(r'<li class="more" id="(more-\d+)"><a class="button" href="([^"]+)"', page)
        url = team_url() + more.group(2).replace("&amp;", "&") if more else None
        target = more.group(1) if more else None
    assert seen == [f"{n:02d}" for n in range(45)]  # n=0 is the newest


def test_feed_pages_without_javascript_too(client, org):
    client.force_login(org.employee)
    page = client.get(team_url(category="promoters")).content.decode()
    assert "<html" in page and 'value="promoters" selected' in page


@pytest.mark.django_db(transaction=True)
def test_marking_a_comment_read_and_acted_upon(client, org):
    add_responses(org, org.team_a, [4], comment="Please call me back")
    response_id = org.team_a.responses.get().pk
    client.force_login(org.employee)
    url = reverse("dashboards:comment_mark", args=[response_id])
    answer = client.post(url, {"kind": "read"}, headers={"hx-request": "true"})
    assert answer.status_code == 200 and 'aria-pressed="true"' in answer.content.decode()
    client.post(url, {"kind": "acted"})
    client.post(url, {"kind": "acted"})  # twice is once
    assert CommentMark.objects.filter(response_id=response_id).count() == 2
    # Another member sees who acted, and that it is unread for them.
    colleague = UserFactory(organisation=org.organisation, teams=[org.team_a])
    client.force_login(colleague)
    page = client.get(team_url()).content.decode()
    assert f"Acted upon by {org.employee}" in page
    assert "Please call me back" in htmx(client, team_url(unread=1), "feed").content.decode()
    client.force_login(org.employee)
    assert "Please call me back" not in htmx(client, team_url(unread=1), "feed").content.decode()
    # Unmarking.
    client.post(url, {"kind": "read", "on": "0"})
    assert not CommentMark.objects.filter(user=org.employee, kind="read").exists()


@pytest.mark.django_db(transaction=True)
def test_other_teams_hr_and_other_organisations_cannot_mark(client, org):
    add_responses(org, org.team_a, [4], comment="Mine")
    url = reverse("dashboards:comment_mark", args=[org.team_a.responses.get().pk])
    for person in (org.employee_b, org.hr, org.other_manager):
        client.force_login(person)
        assert client.post(url, {"kind": "read"}).status_code == 404
    assert not CommentMark.objects.exists()


# --- Answering a customer -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_lead_answers_a_customer_who_asked_for_contact_in_their_language(client, org):
    add_responses(
        org,
        org.team_a,
        [3],
        comment="Niemand belde terug",
        contact_email="klant@example.com",
        language="nl",
    )
    response = org.team_a.responses.get()
    client.force_login(org.employee)
    assert "klant@example.com" not in client.get(team_url()).content.decode()
    assert client.get(reverse("dashboards:comment_reply", args=[response.pk])).status_code == 404

    client.force_login(org.lead)
    assert "Answer the customer" in client.get(team_url()).content.decode()
    url = reverse("dashboards:comment_reply", args=[response.pk])
    bad = client.post(url, {"body": "ok", "submission": "0b6e4bd2-5d1a-4a8e-9a53-1f6d0e2f0c01"})
    assert bad.status_code == 200 and "Write a few words at least." in bad.content.decode()
    assert not Reply.objects.exists()

    answer = client.post(
        url,
        {
            "body": "Sorry, we bellen u morgen om tien uur.",
            "submission": "0b6e4bd2-5d1a-4a8e-9a53-1f6d0e2f0c02",
        },
    )
    assert answer.status_code == 302
    reply = Reply.objects.get()
    assert reply.author == org.lead and reply.sent_at is not None
    # The lead also heard of the follow-up the unhappy answer opened (tests/test_followups_*).
    to_customer = [message for message in mail.outbox if message.to == ["klant@example.com"]]
    assert len(to_customer) == 1
    message = to_customer[0]
    assert "Een antwoord van Alpha" in message.subject  # the customer's language
    assert "morgen om tien uur" in message.body
    # The loop is closed for the team to see.
    client.force_login(org.employee)
    assert "morgen om tien uur" in client.get(team_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_no_answer_without_a_contact_address(client, org):
    add_responses(org, org.team_a, [3], comment="Anonymous complaint")
    client.force_login(org.lead)
    url = reverse("dashboards:comment_reply", args=[org.team_a.responses.get().pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Hello there customer"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_sends_answers_whose_task_was_lost(org):
    from dashboards import replies, tasks

    add_responses(org, org.team_a, [3], comment="Call me", contact_email="c@example.com")
    reply = Reply.objects.create(
        response=org.team_a.responses.get(),
        author=org.lead,
        body="We will call you",
        created_at=timezone.now() - dt.timedelta(minutes=10),
    )
    assert list(replies.pending()) == [reply.pk]
    assert tasks.send_pending_replies() == 1
    assert tasks.send_pending_replies() == 0  # sent once, however often it runs
    assert tasks.send_reply(reply.pk) is False
    # (The lead's alert of the follow-up this answer opened goes to the lead, not counted.)
    assert len([message for message in mail.outbox if message.to == ["c@example.com"]]) == 1


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_team_page_queries_do_not_grow_with_responses(client, org, django_assert_max_num_queries):
    Theme.objects.create(organisation=org.organisation, name="Waiting", keywords="wait")
    client.force_login(org.lead)
    add_responses(org, org.team_a, [3, 9], comment="wait {n}", prefix="x")
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(team_url()).status_code == 200
    for days_ago in range(0, 90, 10):
        add_responses(
            org, org.team_a, [n % 11 for n in range(40)], comment="wait {n}", days_ago=days_ago
        )
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(team_url()).status_code == 200
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert htmx(client, team_url(period="week"), "figures").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_board_queries_do_not_grow_with_teams(client, org, django_assert_max_num_queries):
    client.force_login(org.employee)
    add_responses(org, org.team_a, [10, 2])
    with django_assert_max_num_queries(BOARD_QUERIES):
        assert client.get(reverse("dashboards:board")).status_code == 200
    for n in range(20):
        team = TeamFactory(organisation=org.organisation, name=f"Extra {n}", slug=f"extra-{n}")
        add_responses(org, team, [n % 11])
    with django_assert_max_num_queries(BOARD_QUERIES):
        page = client.get(reverse("dashboards:board") + "?sort=nps&order=desc")
    assert page.status_code == 200 and "Extra 19" in page.content.decode()


# --- The board and the management view ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_board_shows_every_teams_figures_sorted_but_no_comments(client, org):
    add_responses(org, org.team_a, [10] * 10, comment="Secret praise")
    add_responses(org, org.team_b, [0] * 10)
    client.force_login(org.employee_b)
    page = client.get(reverse("dashboards:board") + "?sort=nps&order=desc").content.decode()
    assert "Secret praise" not in page
    page = page.split("<tbody>", 1)[1]
    assert page.index(">Alpha<") < page.index(">Beta<") < page.index(">Gamma<")
    ascending = client.get(reverse("dashboards:board") + "?sort=nps&order=asc").content.decode()
    ascending = ascending.split("<tbody>", 1)[1]
    # Low to high, and a team without figures still last.
    assert ascending.index(">Beta<") < ascending.index(">Alpha<") < ascending.index(">Gamma<")
    assert "Acme as a whole" in page
    assert "Elsewhere" not in page


@pytest.mark.django_db(transaction=True)
def test_management_drills_from_department_to_team(client, org):
    add_responses(org, org.team_a, [10] * 10)
    add_responses(org, org.team_b, [0] * 10)
    client.force_login(org.manager)
    page = client.get(reverse("dashboards:compare")).content.decode()
    # Service = Alpha + Beta: 10 promoters, 10 detractors: NPS 0 over 20 scores.
    service = page.split(">Service</a>", 1)[1].split("</tr>", 1)[0]
    assert "<strong>0</strong>" in service and '<td class="num">20</td>' in service
    assert "Teams without a department" in page  # Gamma
    drill = client.get(reverse("dashboards:compare") + "?department=service").content.decode()
    assert "Alpha" in drill and "Beta" in drill and "Gamma" not in drill
    assert reverse("dashboards:team_detail", args=["alpha"]) in drill
    assert client.get(reverse("dashboards:compare") + "?department=nope").status_code == 404
    client.force_login(org.lead)
    assert client.get(reverse("dashboards:compare")).status_code == 403


# --- Exports --------------------------------------------------------------------------------------


def test_neutralise_defuses_formulas_and_keeps_numbers():
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    for start in "+-@\t\r":
        assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("fine") == "fine"
    assert neutralise(-12.5) == -12.5 and neutralise(None) is None


@pytest.mark.django_db(transaction=True)
def test_comment_export_neutralises_formulas_in_csv_and_xlsx(client, org):
    add_responses(org, org.team_a, [2], comment='=HYPERLINK("http://evil","click")')
    add_responses(org, org.team_a, [9], comment="@SUM(A1)", prefix="b")
    client.force_login(org.employee)
    url = reverse("dashboards:team_export", args=["alpha", "comments", "csv"])
    text = as_bytes(client.get(url)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["team", "submitted", "score", "comment"]
    comments = {row[3] for row in rows[1:]}
    assert comments == {'\'=HYPERLINK("http://evil","click")', "'@SUM(A1)"}

    url = reverse("dashboards:team_export", args=["alpha", "comments", "xlsx"])
    sheet = load_workbook(io.BytesIO(as_bytes(client.get(url)))).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[3] for row in values} == comments
    assert {row[2] for row in values} == {2, 9}  # scores stay numbers


@pytest.mark.django_db(transaction=True)
def test_kpi_export_has_numbers_and_no_comments(client, org):
    add_responses(org, org.team_a, [0] * 10 + [10] * 2, comment="Private words")
    client.force_login(org.employee)
    url = reverse("dashboards:team_export", args=["alpha", "kpis", "xlsx"]) + "?period=month"
    sheet = load_workbook(io.BytesIO(as_bytes(client.get(url)))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, last = rows[0], rows[-1]
    assert header[:3] == ("team", "period", "period start")
    assert last[header.index("NPS")] == pytest.approx(-66.7)  # a number, not text
    assert len(rows) == 1 + 24  # two years of months
    board = as_bytes(client.get(reverse("dashboards:board_export", args=["csv"]))).decode()
    assert "Private words" not in board and "Beta" in board and "Acme" in board


def test_comment_export_is_for_comment_readers_only(client, org):
    url = reverse("dashboards:team_export", args=["alpha", "comments", "csv"])
    client.force_login(org.hr)
    assert client.get(url).status_code == 404
    client.force_login(org.employee_b)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("dashboards:team_export", args=["alpha", "x", "csv"])).status_code == 404
    )
    client.force_login(org.employee)
    assert (
        client.get(reverse("dashboards:team_export", args=["alpha", "kpis", "pdf"])).status_code
        == 404
    )


# --- The weekly digest ----------------------------------------------------------------------------


MONDAY_MORNING = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam


@pytest.mark.django_db(transaction=True)
def test_weekly_digest_goes_once_to_each_member_in_their_language(org):
    org.employee.language = "nl"
    org.employee.save()
    org.lead.language = "en"
    org.lead.save()
    optout = UserFactory(organisation=org.organisation, teams=[org.team_a], weekly_digest=False)
    last_week = MONDAY_MORNING - dt.timedelta(days=3)
    rows = [
        {
            "team_id": org.team_a.pk,
            "score": score,
            "comment": f"Comment {n}",
            "customer_hash": "",
            "submitted_at": last_week - dt.timedelta(minutes=n),
            "external_id": f"d{n}",
        }
        for n, score in enumerate([10, 9, 3, 8, 10])
    ]
    with transaction.atomic():
        ingest.store_responses(org.organisation, rows, source="api")

    assert digest.send_all(now=MONDAY_MORNING) >= 2
    assert digest.send_all(now=MONDAY_MORNING) == 0  # once a week, however often it runs
    by_person = {message.to[0]: message for message in mail.outbox}
    assert optout.email not in by_person
    dutch = by_person[org.employee.email]
    assert dutch.subject == "Je week met klanten (week 47 van 2026)"
    assert "Alpha" in dutch.body and "NPS: 40" in dutch.body
    assert "Comment 0" in dutch.body and "Comment 3" not in dutch.body  # three most recent
    assert "Beta" not in dutch.body
    english = by_person[org.lead.email]
    assert english.subject == "Your week with customers (week 47 of 2026)"
    # The opt-out link works without logging in.
    link = re.search(r"http://[^\s]+/digest/[^\s]+/", dutch.body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    from django.test import Client

    Client().post(path, {"subscribe": "0"})
    org.employee.refresh_from_db()
    assert org.employee.weekly_digest is False


@pytest.mark.django_db
def test_no_digest_before_monday_seven_and_bad_opt_out_links(client, org):
    early = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)  # 06:00 in Amsterdam
    assert digest.week_to_send(org.organisation, early) is None
    assert digest.week_to_send(org.organisation, MONDAY_MORNING) == dt.date(2026, 11, 16)
    assert client.get(reverse("dashboards:digest_opt_out", args=["forged"])).status_code == 404
    token = digest_opt_out_token(org.employee)
    assert client.get(reverse("dashboards:digest_opt_out", args=[token])).status_code == 200


# --- Small parts ----------------------------------------------------------------------------------


def test_sparkline_leaves_gaps_for_periods_without_figures():
    assert sparkline([None, None]) == []
    segments = sparkline([100, 0, None, -100, -100])
    assert len(segments) == 2
    assert segments[0].startswith("2.0,2.0 ") and segments[1].endswith(",26.0")


def test_feed_filter_ignores_what_it_does_not_know(org):
    chosen = feed.FeedFilter.from_query(
        {"category": "x", "theme": "1; drop", "q": " word ", "before": "x~y"}, []
    )
    assert chosen == feed.FeedFilter(q="word")


def test_people_set_their_digest_and_e_mail_language_themselves(client, org):
    client.force_login(org.employee)
    url = reverse("organisations:account")
    assert client.get(url).status_code == 200
    assert client.post(url, {"language": "nl"}).status_code == 302  # the box left unticked
    org.employee.refresh_from_db()
    assert (org.employee.language, org.employee.weekly_digest) == ("nl", False)
    assert client.post(url, {"language": "xx", "weekly_digest": "on"}).status_code == 200
    org.employee.refresh_from_db()
    assert org.employee.weekly_digest is False  # a bad form changes nothing


# --- Targets on the dashboards ----------------------------------------------------------------


def add_target(org, team, metric="nps", goal_kind="absolute", amount=40):
    from programmes.models import Target

    today = timezone.localdate()
    return Target.objects.create(
        organisation=org.organisation,
        team=team,
        metric=metric,
        period="month",
        baseline_start=today.replace(day=1) - dt.timedelta(days=1),
        goal_kind=goal_kind,
        goal_amount=amount,
        due_on=today + dt.timedelta(days=90),
    )


@pytest.mark.django_db(transaction=True)
def test_team_targets_draw_as_lines_and_show_their_progress(
    client, org, django_assert_max_num_queries
):
    add_responses(org, org.team_a, [10] * 6 + [3] * 4)
    add_target(org, org.team_a, "nps", amount=40)
    add_target(org, org.team_a, "error_rate", amount=5)
    add_target(org, org.team_b, "nps", amount=90)  # another team's: not on this page
    client.force_login(org.employee)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        page = client.get(team_url()).content.decode()
    data = json.loads(html.unescape(re.search(r'data-charts="([^"]*)"', page).group(1)))
    by_id = {chart["id"]: chart for chart in data["charts"]}
    assert [line["value"] for line in by_id["nps"]["targets"]] == [40.0]
    assert [line["value"] for line in by_id["error_rate"]["targets"]] == [5.0]
    assert by_id["returning"]["targets"] == []
    targets = page.split('id="targets-heading"', 1)[1].split("</section>", 1)[0]
    assert targets.count('class="card target-card') == 2
    # The period switch keeps the lines.
    figures = htmx(client, team_url(period="quarter"), "figures").content.decode()
    assert "&quot;targets&quot;: [{&quot;value&quot;: 40.0" in figures


@pytest.mark.django_db(transaction=True)
def test_board_shows_each_teams_targets_and_the_api_gives_them(client, org):
    add_responses(org, org.team_a, [10] * 6 + [3] * 4)
    add_target(org, org.team_a, "nps", amount=40)
    add_target(org, None, "error_rate", amount=5)
    client.force_login(org.employee_b)
    board = client.get(reverse("dashboards:board")).content.decode()
    alpha = board.split(">Alpha<", 1)[1].split("</tr>", 1)[0]
    assert "NPS 40" in alpha and "target-status" in alpha
    total = board.split("<tfoot>", 1)[1]
    assert "Error rate" in total
    answer = client.get("/api/v1/kpis?team=alpha&period=month").json()
    assert [t["metric"] for t in answer["targets"]] == ["nps"]
    assert answer["targets"][0]["goal"] == 40.0
    assert answer["targets"][0]["current"]["value"] == 20.0


# --- Found in review ---------------------------------------------------------------------------


class RefusingBackend:
    """A mail backend that refuses addresses starting with "refuse", as a real server can."""

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        import smtplib

        for message in messages:
            if message.to[0].startswith("refuse"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return self.inner.send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_one_refused_answer_does_not_hold_up_the_others(org, settings):
    from dashboards import replies, tasks

    settings.EMAIL_BACKEND = "tests.test_dashboards_pages.RefusingBackend"
    add_responses(org, org.team_a, [3], comment="A", contact_email="refuse@example.com")
    add_responses(org, org.team_a, [3], comment="B", contact_email="fine@example.com", prefix="b")
    old = timezone.now() - dt.timedelta(minutes=10)
    for response in org.team_a.responses.order_by("pk"):
        Reply.objects.create(response=response, author=org.lead, body="Hello", created_at=old)
    assert tasks.send_pending_replies() == 1
    assert [message.to for message in mail.outbox] == [["fine@example.com"]]
    for _ in range(replies.MAX_ATTEMPTS):
        tasks.send_pending_replies()
    assert list(replies.pending()) == []  # given up on, and shown as not sent
    assert Reply.objects.get(response__contact_email="refuse@example.com").sent_at is None


@pytest.mark.django_db(transaction=True)
def test_an_answer_sent_twice_is_stored_and_mailed_once(client, org):
    add_responses(org, org.team_a, [3], comment="Call me", contact_email="c@example.com")
    response = org.team_a.responses.get()
    client.force_login(org.lead)
    url = reverse("dashboards:comment_reply", args=[response.pk])
    form = {"submission": "6f1c1c1e-8a1b-4a55-9d3e-2b8f8d0c0a11", "body": "We call you today."}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302
    to_customer = [message for message in mail.outbox if message.to == ["c@example.com"]]
    assert Reply.objects.count() == 1 and len(to_customer) == 1


@pytest.mark.django_db(transaction=True)
def test_control_characters_never_break_the_excel_export(client, org, post_rows):
    rows = [
        {"team": "alpha", "comment": "Bad\x0bcharacters\x01 here", "submitted_at": "2026-01-01"}
    ]
    assert post_rows("responses", rows).status_code == 200
    assert org.team_a.responses.get().comment == "Badcharacters here"  # dropped on the way in
    Response = org.team_a.responses.model
    Response.objects.filter(team=org.team_a).update(comment="Old row \x0b from before")
    client.force_login(org.employee)
    url = reverse("dashboards:team_export", args=["alpha", "comments", "xlsx"])
    sheet = load_workbook(io.BytesIO(as_bytes(client.get(url)))).active
    first = next(sheet.iter_rows(min_row=2, values_only=True))
    assert first[3] == "Old row  from before"


@pytest.mark.parametrize(
    "before",
    [
        "2024-02-30T10:00:00~5",
        "2024-01-01T10:00:00%2B25:00~5",
        "9999-12-31T23:59:59-14:00~5",
        "0001-01-01T00:00:00%2B14:00~5",
        "2024-01-01T10:00:00~5",  # no offset: not one of ours
        "2024-01-01T10:00:00%2B00:00~99999999999999999999999",
    ],
)
def test_odd_cursors_and_nul_characters_are_ignored_not_errors(client, org, before):
    client.force_login(org.manager)
    assert client.get(f"{team_url()}?before={before}").status_code == 200
    assert htmx(client, f"{team_url()}?before={before}&q=%00", "more-5").status_code == 200
    export = reverse("dashboards:team_export", args=["alpha", "comments", "csv"])
    assert client.get(f"{export}?before={before}&q=a%00b").status_code == 200
    assert client.get(reverse("dashboards:compare") + "?department=%00").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_hr_in_a_team_gets_the_digest_figures_but_no_comments(org):
    from organisations.models import Membership

    Membership.objects.create(team=org.team_a, user=org.hr)
    last_week = MONDAY_MORNING - dt.timedelta(days=3)
    rows = [
        {
            "team_id": org.team_a.pk,
            "score": 9,
            "comment": "Private words of a customer",
            "customer_hash": "",
            "submitted_at": last_week,
            "external_id": "hr-digest",
        }
    ]
    with transaction.atomic():
        ingest.store_responses(org.organisation, rows, source="api")
    digest.send_all(now=MONDAY_MORNING)
    by_person = {message.to[0]: message for message in mail.outbox}
    assert "Private words" not in by_person[org.hr.email].body
    assert "Alpha" in by_person[org.hr.email].body
    assert "Private words" in by_person[org.employee.email].body


@pytest.mark.django_db(transaction=True)
def test_times_show_in_the_organisations_time_zone(client, org):
    org.organisation.time_zone = "America/New_York"
    org.organisation.save()
    moment = dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)  # 22:30 the evening before there
    rows = [
        {
            "team_id": org.team_a.pk,
            "score": 5,
            "comment": "Late at night",
            "customer_hash": "",
            "submitted_at": moment,
            "external_id": "tz",
        }
    ]
    with transaction.atomic():
        ingest.store_responses(org.organisation, rows, source="api")
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    assert "19 November 2026, 22:30" in page


def test_htmx_parts_answer_only_their_part_and_vary_on_it(client, org):
    client.force_login(org.employee)
    feed = htmx(client, team_url(q="x"), "feed")
    assert feed.content.decode().lstrip().startswith('<div id="feed"')
    assert "HX-Target" in feed["Vary"]
    figures = htmx(client, team_url(period="week"), "figures").content.decode()
    assert 'id="feed-period" name="period" value="week" hx-swap-oob="true"' in figures


def test_a_rate_change_is_real_by_the_interval_of_the_difference_not_by_overlap(client, org):
    # 10% of 1,000 then 13% of 1,000: the two intervals overlap (8.3–12.0 and 11.1–15.2), yet
    # the difference's own interval (0.2 to 5.8 points) leaves out zero: a real change.
    from kpis.models import Rollup
    from organisations.clock import local_today

    this_month = local_today(org.organisation).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for start, errors in ((last_month, 100), (this_month, 130)):
        Rollup.objects.create(
            organisation=org.organisation,
            team=org.team_a,
            kind="month",
            period_start=start,
            interactions=1000,
            errors=errors,
        )
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    tile = page.split("<h3>Error rate</h3>", 1)[1].split("</article>", 1)[0]
    assert "Last month: 10.0%" in tile and "a real change" in tile
    answer = client.get("/api/v1/kpis?team=alpha&period=month&last=2").json()
    assert answer["series"][1]["error_rate_change"]["significant"] is True


@pytest.mark.django_db(transaction=True)
def test_ideas_are_offered_from_comments_and_targets_to_who_may_propose_them(client, org):
    add_responses(org, org.team_a, [3], comment="Too slow")
    add_target(org, org.team_a, "nps", amount=40)
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    assert "Idea from this" in page and "An idea for this target" in page
    # HR sees the team's figures and targets but is not in the team: no idea to propose for it
    # (roles.can_propose_idea_for decides, not a role check in the template).
    client.force_login(org.hr)
    page = client.get(team_url()).content.decode()
    assert "An idea for this target" not in page


@pytest.mark.django_db
def test_the_digest_opt_out_link_expires_and_never_shows_the_address(client, org, monkeypatch):
    token = digest_opt_out_token(org.employee)
    url = reverse("dashboards:digest_opt_out", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert org.employee.email not in page.content.decode()
    later = time.time() + digest.DIGEST_LINK_MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = client.get(url)
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()
    client.post(url, {"subscribe": "0"})
    org.employee.refresh_from_db()
    assert org.employee.weekly_digest is True


@pytest.mark.django_db(transaction=True)
def test_charts_mark_too_few_and_the_running_period_and_wait_for_returning_history(client, org):
    add_responses(org, org.team_a, [10] * 6 + [3] * 4)  # ten scores this month: too few
    series = read.series(org.organisation, team=org.team_a, kind="month", last=12)
    chart = figures.chart_data(series, min_count=30)
    nps = {each["id"]: each for each in chart["charts"]}["nps"]
    assert nps["too_few"][-1] is True and nps["n"][-1] == 10
    assert chart["running"] == [False] * 11 + [True]
    # The history starts this month: nobody can tell a returning customer from a new one yet.
    assert series[-1]["returning_known"] is False
    assert {each["id"]: each for each in chart["charts"]}["returning"]["value"][-1] is None
    client.force_login(org.employee)
    page = client.get(team_url()).content.decode()
    assert "still running" in page and "too few to go by" in page


def test_a_returning_rate_is_known_three_months_after_the_history_starts():
    start = dt.date(2026, 1, 10)
    assert not read.returning_known(dt.date(2026, 3, 1), start)
    assert read.returning_known(dt.date(2026, 5, 1), start)
    assert not read.returning_known(dt.date(2026, 5, 1), None)


@pytest.mark.django_db(transaction=True)
def test_the_digest_shows_a_detractors_comment_before_newer_praise(org):
    last_week = MONDAY_MORNING - dt.timedelta(days=3)
    rows = [
        {
            "team_id": org.team_a.pk,
            "score": score,
            "comment": f"Comment {n}",
            "customer_hash": "",
            "submitted_at": last_week - dt.timedelta(minutes=n),
            "external_id": f"t{n}",
        }
        for n, score in enumerate([10, 9, 8, 10, 2])
    ]
    with transaction.atomic():
        ingest.store_responses(org.organisation, rows, source="api")
    week = digest.team_week(org.organisation, org.team_a, dt.date(2026, 11, 16))
    assert [response.comment for response in week["comments"]] == [
        "Comment 4",  # the week's one detractor, though the oldest
        "Comment 0",
        "Comment 1",
    ]
