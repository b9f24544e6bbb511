"""Tagging comments with the organisation's themes by their keywords."""

import datetime as dt
import re

from django.db import connection, transaction
from django.utils import timezone

from feedback.models import DirtyMark, Response, Theme
from feedback.privacy import EMAIL_MARK, IBAN_MARK, PHONE_MARK
from feedback.signals import announce_after_commit
from organisations import conflicts

REDACTION_MARKS = (EMAIL_MARK, PHONE_MARK, IBAN_MARK)


class ThemeMatcher:
    """Finds the themes a comment mentions: a keyword at the start of a word, any case, so
    "wachttijd" also finds "wachttijden" and "Wachttijd".

    One pattern for all the organisation's keywords, read once over the comment: at each
    word's start it takes the longest keyword there, and every theme with a keyword that is a
    prefix of that one is mentioned there too (exactly the keywords that match at that
    place)."""

    def __init__(self, themes):
        self.order = []  # theme ids, in the order their themes came
        keywords = {}  # keyword -> the themes that have it
        for theme in themes:
            words = {w.casefold() for w in theme.keyword_list} - {""}
            if words:
                self.order.append(theme.pk)
                for word in words:
                    keywords.setdefault(word, set()).add(theme.pk)
        self.themes_at = {
            word: frozenset(
                pk for other, pks in keywords.items() if word.startswith(other) for pk in pks
            )
            for word in keywords
        }
        longest_first = sorted(keywords, key=lambda word: (-len(word), word))
        alternatives = "|".join(re.escape(word) for word in longest_first)
        # A lookahead: keywords that overlap ("niet opgenomen", "opgenomen") are each seen.
        self.pattern = re.compile(rf"(?<!\w)(?=({alternatives}))") if keywords else None

    @classmethod
    def for_organisation(cls, organisation):
        return cls(Theme.objects.filter(organisation=organisation))

    def __bool__(self):
        return self.pattern is not None

    def match(self, text: str) -> list[int]:
        if not text or self.pattern is None:
            return []
        if "⟦" in text:
            for mark in REDACTION_MARKS:  # "⟦phone⟧" must not tag a theme with keyword "phone"
                text = text.replace(mark, " ")
        found = set()
        themes_at = self.themes_at
        for word in self.pattern.findall(text.casefold()):
            found |= themes_at[word]
        if not found:
            return []
        return [pk for pk in self.order if pk in found]


def retag_organisation(organisation, *, batch_size: int = 5000) -> int:
    """Recompute every comment's themes after the themes changed; returns comments tagged.

    Batch by batch, each in one transaction: readers never see a comment without its tags.
    Each batch reads the themes anew, and on PostgreSQL two re-tags of one organisation take
    turns per batch, so an edit made while a re-tag runs is never overwritten by older themes.
    """
    tagged = 0
    last_id = 0
    started = timezone.now()
    while last_id is not None:
        last_id, count = _retag_batch(organisation, last_id, started, batch_size)
        tagged += count
    return tagged


@conflicts.retried
@transaction.atomic
def _retag_batch(organisation, last_id, started, batch_size):
    """Re-tag the comments after ``last_id``: (the last one done, or None at the end; how many
    got a theme). Tried again after a deadlock with a rollup write or an import."""
    through = Response.themes.through
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, -1)", [organisation.pk])
    matcher = ThemeMatcher.for_organisation(organisation)
    batch = list(
        Response.objects.filter(organisation=organisation, pk__gt=last_id)
        .exclude(comment="")
        .order_by("pk")
        .values_list("pk", "comment", "team_id", "local_day")[:batch_size]
    )
    if not batch:
        # Themes changed since this run began stay owed: the sweeper re-tags again.
        Theme.objects.filter(organisation=organisation, updated_at__lte=started).update(
            retagged_at=started
        )
        announce_after_commit(organisation)  # the theme counts follow the new tags
        return None, 0
    links = [
        through(response_id=pk, theme_id=theme_id)
        for pk, comment, _team, _day in batch
        for theme_id in matcher.match(comment)
    ]
    through.objects.filter(response_id__in=[row[0] for row in batch]).delete()
    through.objects.bulk_create(links)
    # Theme counts in the rollups follow the tags.
    DirtyMark.objects.mark(
        organisation,
        {(team, day) for _pk, _comment, team, day in batch},
        later_periods=False,
    )
    return batch[-1][0], len({link.response_id for link in links})


def retag_is_owed(organisation) -> bool:
    """Has a theme changed since the comments were last re-tagged with it?"""
    return Theme.objects.filter(organisation=organisation).owed_a_retag().exists()


# A re-tag normally starts within seconds of an edit; the sweeper leaves younger ones to it.
RETAG_GRACE = dt.timedelta(minutes=2)


def organisations_owed_a_retag(now=None, *, grace=None):
    """Organisations with a theme edited since their comments were last re-tagged (the task
    sent after the edit was lost: Redis down, a worker killed)."""
    cutoff = (now or timezone.now()) - (RETAG_GRACE if grace is None else grace)
    owed = Theme.objects.filter(updated_at__lt=cutoff).owed_a_retag()
    return owed.values_list("organisation_id", flat=True).distinct()
