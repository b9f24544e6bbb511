"""Tagging comments with the organisation's themes by their keywords."""

import re

from feedback.models import Response, Theme
from feedback.privacy import EMAIL_MARK, IBAN_MARK, PHONE_MARK

REDACTION_MARKS = (EMAIL_MARK, PHONE_MARK, IBAN_MARK)


class ThemeMatcher:
    """Finds the themes a comment mentions: a keyword at the start of a word, any case, so
    "wachttijd" also finds "wachttijden" and "Wachttijd"."""

    def __init__(self, themes):
        self.patterns = []
        for theme in themes:
            words = sorted({w.casefold() for w in theme.keyword_list}, key=len, reverse=True)
            if words:
                alternatives = "|".join(re.escape(word) for word in words)
                self.patterns.append((theme.pk, re.compile(rf"(?<!\w)(?:{alternatives})")))

    @classmethod
    def for_organisation(cls, organisation):
        return cls(Theme.objects.filter(organisation=organisation))

    def __bool__(self):
        return bool(self.patterns)

    def match(self, text: str) -> list[int]:
        if not text or not self.patterns:
            return []
        for mark in REDACTION_MARKS:  # "[phone]" must not tag a theme with keyword "phone"
            text = text.replace(mark, " ")
        folded = text.casefold()
        return [pk for pk, pattern in self.patterns if pattern.search(folded)]


def retag_organisation(organisation, *, batch_size: int = 5000) -> int:
    """Recompute every comment's themes after the themes changed; returns comments tagged."""
    matcher = ThemeMatcher.for_organisation(organisation)
    through = Response.themes.through
    tagged = 0
    last_id = 0
    while True:
        batch = list(
            Response.objects.filter(organisation=organisation, pk__gt=last_id)
            .exclude(comment="")
            .order_by("pk")
            .values_list("pk", "comment")[:batch_size]
        )
        if not batch:
            return tagged
        last_id = batch[-1][0]
        ids = [pk for pk, _comment in batch]
        links = [
            through(response_id=pk, theme_id=theme_id)
            for pk, comment in batch
            for theme_id in matcher.match(comment)
        ]
        through.objects.filter(response_id__in=ids).delete()
        through.objects.bulk_create(links)
        tagged += len({link.response_id for link in links})
