"""The comment feed on a team's page: the team's comments a person may read, filtered by
category, theme, a word or "not read by me", newest first, a page at a time (keyset paging
through the (team, submitted_at) index, so its cost does not grow with the comments)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils.dateparse import parse_datetime

from dashboards.models import CommentMark, MarkKind, Reply
from feedback.models import Response
from kpis import metrics

FEED_SIZE = 20

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


def filtered_comments(user, team, feed: FeedFilter):
    """The team's comments the person may read, with the feed's filters applied."""
    comments = Response.objects.comments_visible_to(user).filter(team=team)
    if feed.category:
        comments = comments.filter(CATEGORIES[feed.category])
    if feed.theme:
        comments = comments.filter(themes=feed.theme)
    if feed.q:
        comments = comments.filter(comment__icontains=feed.q)
    if feed.unread:
        comments = comments.exclude(
            Exists(
                CommentMark.objects.filter(response=OuterRef("pk"), user=user, kind=MarkKind.READ)
            )
        )
    return comments.order_by("-submitted_at", "-pk")


def comment_feed(user, team, feed: FeedFilter, size=FEED_SIZE):
    """One page of the team's comments the person may read, newest first, and the cursor of
    the next page (``None`` at the end). Four queries, whatever the number of comments."""
    comments = filtered_comments(user, team, feed)
    if feed.before:
        moment, pk = feed.before
        comments = comments.filter(Q(submitted_at__lt=moment) | Q(submitted_at=moment, pk__lt=pk))
    page = list(
        comments.prefetch_related(
            "themes",
            Prefetch("marks", queryset=CommentMark.objects.select_related("user")),
            Prefetch("replies", queryset=Reply.objects.select_related("author")),
        )[: size + 1]
    )
    more = len(page) > size
    page = page[:size]
    for response in page:
        annotate(response, user)
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
