"""Searching customers' comments for a word: PostgreSQL full-text search in Dutch and English at
once (a stored tsvector of the redacted comment, indexed together with the team), a plain
case-insensitive substring match where there is no full-text search (SQLite: the demo, most
tests), and the matched words marked up safely.

The vector also holds one term no typed word can match, ``#<team id>``: a search within a team
asks the index for that term too, so it reads that team's matches only, and needs no other
condition on the team that could lure the planner into reading all the team's rows.

Each word typed matches comment words that start with it after stemming, in either language:
"wachttijden" finds "wachttijd", "deliver" finds "delivery", "wacht" finds "wachttijd"; all the
words must occur. Redaction markers (``⟦phone⟧``) are stored text like any other, so the
vector holds what anyone may read, and erasing a comment (deleting its row) erases its vector.
"""

import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchVectorField,
)
from django.db import connections
from django.db.models import Expression, F, Func, Value
from django.db.models.functions import Replace
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from feedback import privacy

LANGUAGES = ("dutch", "english")  # PostgreSQL text-search configurations, both always
MAX_WORDS = 8
WORDS = re.compile(r"[^\W_]+")  # letters and digits only: nothing is tsquery syntax

# Marks around matched words on their way out of the database: private-use characters,
# removed from the comment first, so what comes back marked was marked by us.
START, STOP = "\ue000", "\ue001"
HIGHLIGHT = {"start_sel": START, "stop_sel": STOP, "highlight_all": True}
MARKED = re.compile(f"([{START}{STOP}])")
MARKER_WITH_MARKS = re.compile(f"⟦[{START}{STOP}]*(\\w+)[{START}{STOP}]*⟧")


class CommentVector(Func):
    """The stored search vector of a comment (first argument): its Dutch and English lexemes,
    and its team's term (second). Where the database has no full-text search it is NULL and
    searching falls back to a substring."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        comment, team = self.get_source_expressions()
        text, params = compiler.compile(comment)
        team_sql, team_params = compiler.compile(team)
        vectors = [
            f"to_tsvector('{language}'::regconfig, COALESCE({text}, ''))" for language in LANGUAGES
        ]
        vectors.append(f"array_to_tsvector(ARRAY['#' || ({team_sql})::text])")
        return f"({' || '.join(vectors)})", params * len(LANGUAGES) + team_params


class TeamTerm(SearchQueryCombinable, Expression):
    """The query term of one team's comments (``#<team id>``), taken as it is."""

    config = None

    def __init__(self, team_id: int):
        super().__init__(output_field=SearchQueryField())
        self.team_id = int(team_id)

    def as_sql(self, compiler, connection):
        return "%s::tsquery", [f"'#{self.team_id}'"]


def full_text(using="default") -> bool:
    return connections[using].vendor == "postgresql"


def words(text: str) -> list[str]:
    return WORDS.findall(text.casefold())[:MAX_WORDS]


def comment_query(text: str) -> SearchQuery | None:
    """Every word, as the start of a word in Dutch or in English; None when nothing is left
    to search for (only punctuation)."""
    found = words(text)
    if not found:
        return None
    raw = " & ".join(f"{word}:*" for word in found)
    first, *others = (SearchQuery(raw, config=lang, search_type="raw") for lang in LANGUAGES)
    for other in others:
        first |= other
    return first


def matching(responses, text: str, team=None):
    """The responses whose comment has every word of ``text`` (see the module's docstring);
    with ``team``, only that team's, read from the index."""
    if not full_text(responses.db):
        return responses.filter(comment__icontains=text)
    query = comment_query(text)
    if query is None:
        return responses.none()
    if team is not None:
        query &= TeamTerm(team.pk)
    return responses.filter(search_vector=query)


def with_headline(responses, text: str):
    """Annotate ``headline``: the whole comment with the words the search matched between
    START and STOP marks (turned into HTML by ``highlighted``)."""
    query = comment_query(text) if full_text(responses.db) else None
    if query is None:
        return responses
    document = Replace(Replace(F("comment"), Value(START), Value("")), Value(STOP), Value(""))
    for language in LANGUAGES:  # a word found by either language's stemming
        document = SearchHeadline(document, query, config=language, **HIGHLIGHT)
    return responses.annotate(headline=document)


def marked_substring(comment: str, text: str) -> str:
    """Without full-text search: ``text`` marked wherever it occurs, ignoring case."""
    comment = comment.replace(START, "").replace(STOP, "")
    if not text:
        return comment
    return re.sub(re.escape(text), lambda m: f"{START}{m.group()}{STOP}", comment, flags=re.I)


def highlighted(marked: str) -> SafeString:
    """A comment with START/STOP marks as HTML: every piece of the customer's text escaped,
    matched words in ``<mark>``, redaction markers in the reader's language, line breaks kept.
    Marks nested by the two languages' passes count as one."""
    marked = MARKER_WITH_MARKS.sub(r"⟦\1⟧", marked)
    html, depth = [], 0
    for piece in MARKED.split(marked):
        if piece == START:
            depth += 1
            if depth == 1:
                html.append("<mark>")
        elif piece == STOP:
            if depth == 1:
                html.append("</mark>")
            depth = max(depth - 1, 0)
        elif piece:
            html.append(escape(privacy.spoken(piece)))
    if depth:
        html.append("</mark>")
    text = "".join(html).replace("\r\n", "\n").replace("\r", "\n")
    return mark_safe(text.replace("\n", "<br>"))  # noqa: S308 - built from escaped pieces
