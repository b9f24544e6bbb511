"""The comment feed on a team's page: the team's comments a person may read, filtered by
category, theme, words or "not read by me", newest first, a page at a time (keyset paging
through the (team, submitted_at) index, so its cost does not grow with the comments).

A search or a theme may match many comments or very few; no single plan is cheap for both, so
a page is found in two steps of bounded cost (see ``_page_keys``): the newest ``WINDOW``
comments in submission order, then, only if they hold less than a page, the matches below them
through the search or theme index. Matched words are highlighted (``feedback.search``)."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils.dateparse import parse_datetime

from dashboards.models import CommentMark, MarkKind, Reply
from feedback import search
from feedback.models import Response
from kpis import metrics

FEED_SIZE = 20
# How many of the newest comments the first step reads. A word or theme in at least about one
# comment in WINDOW / FEED_SIZE fills its page there; rarer ones go to their index.
WINDOW = 2000
# Older candidates of a search are checked against the feed's other rules this many at a time.
BATCH = 200

CATEGORIES = {
    "detractors": Q(score__lte=metrics.DETRACTOR_MAX),
    "passives": Q(score__gt=metrics.DETRACTOR_MAX, score__lt=metrics.PROMOTER_MIN),
    "promoters": Q(score__gte=metrics.PROMOTER_MIN),
}


@dataclass(frozen=True)
class FeedFilter:
    category: str = ""
    theme: int | None = None
    q: str = ""
    unread: bool = False
    before: tuple[dt.datetime, int] | None = None

    @classmethod
    def from_query(cls, params, themes) -> "FeedFilter":
        """From a query string; anything unknown or malformed is simply not applied."""
        category = params.get("category", "")
        theme = params.get("theme", "")
        theme_ids = {str(t.pk): t.pk for t in themes}
        return cls(
            category=category if category in CATEGORIES else "",
            theme=theme_ids.get(theme),
            q=params.get("q", "").replace("\x00", "").strip()[:100],
            unread=params.get("unread") == "1",
            before=parse_cursor(params.get("before", "")),
        )

    def query(self, **changes) -> dict:
        """The filter as query parameters (for links that keep it), with ``changes`` applied."""
        values = {
            "category": self.category,
            "theme": self.theme or "",
            "q": self.q,
            "unread": "1" if self.unread else "",
        } | changes
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.category or self.theme or self.q or self.unread)


def cursor(response) -> str:
    return f"{response.submitted_at.isoformat()}~{response.pk}"


def parse_cursor(value: str):
    """(aware moment, id) from ``cursor()``'s text; ``None`` for anything else."""
    moment, _sep, pk = value.partition("~")
    try:
        parsed = parse_datetime(moment) if moment else None
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    if not pk.isdigit() or len(pk) > 18:  # ids are bigints
        return None
    return parsed, int(pk)


def _visible(user, team, feed: FeedFilter):
    """The team's comments the person may read, from the feed's cursor on."""
    comments = Response.objects.comments_visible_to(user).filter(team=team)
    if feed.before:
        moment, pk = feed.before
        comments = comments.filter(Q(submitted_at__lt=moment) | Q(submitted_at=moment, pk__lt=pk))
    return comments


def _filter(comments, user, feed: FeedFilter, team):
    if feed.category:
        comments = comments.filter(CATEGORIES[feed.category])
    if feed.theme:
        comments = comments.filter(themes=feed.theme)
    if feed.q:
        comments = search.matching(comments, feed.q, team=team)
    if feed.unread:
        comments = comments.exclude(
            Exists(
                CommentMark.objects.filter(response=OuterRef("pk"), user=user, kind=MarkKind.READ)
            )
        )
    return comments


def filtered_comments(user, team, feed: FeedFilter):
    """The team's comments the person may read, with the feed's filters applied."""
    return _filter(_visible(user, team, feed), user, feed, team).order_by("-submitted_at", "-pk")


def _page_keys(user, team, feed: FeedFilter, count: int) -> list[int]:
    """Ids of the first ``count`` comments of a feed with a search or a theme, newest first.

    Such a filter may keep many comments or very few, and the planner cannot tell which
    (a rare word looks like a common one to its statistics), so two steps, each bounded:
    1. the matches among the newest WINDOW responses (a range of the (team, submitted_at)
       index): a common word or theme fills its page here, whatever the number of comments;
    2. only if that is not a page: the older matches, found through the search or theme
       index alone and sorted, so a rare word or theme costs what it matches."""
    visible = _visible(user, team, feed)
    ordered = ("-submitted_at", "-pk")
    edge = _window_edge(team, feed)
    newest = visible if edge is None else visible.filter(submitted_at__gte=edge)
    keys = list(
        _filter(newest, user, feed, team).order_by(*ordered).values_list("pk", flat=True)[:count]
    )
    if len(keys) == count or edge is None:
        return keys
    older = _filter(visible.filter(submitted_at__lt=edge), user, feed, team)
    if feed.q and search.full_text(older.db):
        return keys + _older_search_matches(older, team, feed.q, edge, count - len(keys))
    return keys + _sorted_matches(older, count - len(keys))


def _window_edge(team, feed: FeedFilter):
    """When the WINDOW-th newest response of the team (from the cursor on) came in; ``None``
    if there are fewer. Read from the (team, submitted_at) index alone."""
    responses = Response.objects.filter(team=team)
    if feed.before:
        responses = responses.filter(submitted_at__lte=feed.before[0])
    edge = responses.order_by("-submitted_at").values_list("submitted_at", flat=True)
    return next(iter(edge[WINDOW - 1 : WINDOW]), None)


def _older_search_matches(older, team, q, edge, count: int) -> list[int]:
    """The newest ``count`` of ``older`` (the feed below the window), searching the team's
    comments through the search index alone — its query names no column another index could
    serve — a batch of candidates at a time, and then applying the feed's other rules to them
    by id."""
    candidates = search.matching(Response.objects.all(), q, team=team).filter(submitted_at__lt=edge)
    keys = []
    while True:
        batch = list(
            candidates.order_by("-submitted_at", "-pk").values_list("pk", "submitted_at")[:BATCH]
        )
        if not batch:
            return keys
        ids = [pk for pk, _when in batch]
        found = older.filter(pk__in=ids).order_by("-submitted_at", "-pk")
        keys += found.values_list("pk", flat=True)[: count - len(keys)]
        if len(keys) == count or len(batch) < BATCH:
            return keys
        last_when, last_pk = batch[-1]
        candidates = candidates.filter(
            Q(submitted_at__lt=last_when) | Q(submitted_at=last_when, pk__lt=last_pk)
        )


def _sorted_matches(comments, count: int) -> list[int]:
    """Ids of the newest ``count`` of ``comments``, found first and sorted afterwards (a
    materialised CTE: otherwise the planner may walk the whole team in order, betting on a
    match soon, and lose)."""
    matches = comments.order_by().values_list("pk", "submitted_at")
    if connections[matches.db].vendor != "postgresql":
        return [pk for pk, _when in matches.order_by("-submitted_at", "-pk")[:count]]
    try:
        sql, params = matches.query.sql_with_params()
    except EmptyResultSet:  # a search with nothing to search for
        return []
    with connections[matches.db].cursor() as cursor:
        cursor.execute(
            f"WITH matches (pk, submitted_at) AS MATERIALIZED ({sql}) "  # noqa: S608 - Django's SQL
            "SELECT pk FROM matches ORDER BY submitted_at DESC, pk DESC LIMIT %s",
            [*params, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def comment_feed(user, team, feed: FeedFilter, size=FEED_SIZE):
    """One page of the team's comments the person may read, newest first, with the words
    searched for highlighted, and the cursor of the next page (``None`` at the end).
    A fixed number of queries, whatever the number of comments: four; with a search or theme
    two or three more (see ``_page_keys``)."""
    if feed.q or feed.theme:
        keys = _page_keys(user, team, feed, size + 1)
        comments = Response.objects.filter(pk__in=keys).order_by("-submitted_at", "-pk")
        if feed.q:
            comments = search.with_headline(comments, feed.q)
    else:
        # Most comments pass the other filters: the (team, submitted_at) index finds a page.
        keys = None
        comments = filtered_comments(user, team, feed)[: size + 1]
    page = (
        list(
            comments.prefetch_related(
                "themes",
                Prefetch("marks", queryset=CommentMark.objects.select_related("user")),
                Prefetch("replies", queryset=Reply.objects.select_related("author")),
            )
        )
        if keys != []
        else []
    )
    more = len(page) > size
    page = page[:size]
    for response in page:
        annotate(response, user)
        if feed.q:
            marked = getattr(response, "headline", None)
            if marked is None:  # no full-text search here: the substring that matched
                marked = search.marked_substring(response.comment, feed.q)
            response.comment_html = search.highlighted(marked)
    return page, (cursor(page[-1]) if more else None)


def annotate(response, user):
    """What the feed says about a comment: its category, who read it or acted on it."""
    response.category = metrics.category(response.score) if response.score is not None else ""
    marks = list(response.marks.all())
    response.read_by_me = any(m.user_id == user.pk and m.kind == MarkKind.READ for m in marks)
    response.acted_by_me = any(m.user_id == user.pk and m.kind == MarkKind.ACTED for m in marks)
    response.readers = sum(1 for m in marks if m.kind == MarkKind.READ)
    response.acted_by = [m.user for m in marks if m.kind == MarkKind.ACTED]


def get_comment_or_404(user, pk: int):
    response = Response.objects.comments_visible_to(user).select_related("team").filter(pk=pk)
    response = response.first()
    if response is None:
        raise Http404
    return response
