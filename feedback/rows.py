"""Validation of feedback rows, shared by the API, file imports and generated data.

A row is a dict with the CSV columns of DESIGN.md ("Interfaces"). Validation collects every
problem as data (row, field, message) and turns a good row into what ingest stores: the team's
id, an aware datetime, a hashed customer reference, a redacted comment.
"""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.privacy import customer_hasher, redact

RESPONSE_COLUMNS = ["team", "score", "comment", "customer_ref", "submitted_at", "external_id"]
INTERACTION_COLUMNS = [
    "team",
    "customer_ref",
    "occurred_at",
    "is_error",
    "external_id",
    # Optional: Koning Klant e-mails the customer a survey invitation (feedback/invitations.py).
    "contact_email",
    "language",
]
LANGUAGES = ("nl", "en")
REQUIRED = {
    "responses": {"team", "submitted_at"},
    "interactions": {"team", "occurred_at"},
}
COLUMNS = {"responses": RESPONSE_COLUMNS, "interactions": INTERACTION_COLUMNS}

MAX_COMMENT = 5000
MAX_REF = 200
MAX_EXTERNAL_ID = 100
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(minutes=10)
TRUE_WORDS = {"1", "true", "yes", "ja", "y", "j", "waar", "x"}
FALSE_WORDS = {"0", "false", "no", "nee", "n", "onwaar", ""}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


# Control characters other than tab and line breaks: PostgreSQL text cannot hold NUL, and the
# rest carry no meaning in feedback but break spreadsheets (openpyxl refuses them) and e-mails.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    # Searching first keeps the usual case (nothing to remove) cheap: a million rows pass here.
    if CONTROL_CHARACTERS.search(value):
        value = CONTROL_CHARACTERS.sub("", value)
    return value.strip()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def _field_text(value, number, field, errors) -> str:
    """The text of a scalar field, or "" with a row error for lists, objects and text that
    cannot be stored (lone surrogates from JSON)."""
    if value is None:
        return ""
    if type(value) is str and value.isascii():  # the common case, checked fastest
        return clean_text(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date):
        errors.append(RowError(number, field, _("Must be text.")))
        return ""
    text = _text(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        errors.append(RowError(number, field, _("Contains characters that are not valid text.")))
        return ""
    return text


class RowValidator:
    """Validates rows of one kind for one organisation; reuse it for a whole file."""

    def __init__(self, organisation, kind: str, *, now=None):
        if kind not in COLUMNS:
            raise ValueError(kind)
        self.organisation = organisation
        self.kind = kind
        self.teams = dict(organisation.teams.values_list("slug", "id"))
        self.zone = zoneinfo.ZoneInfo(organisation.time_zone)
        self.hash_ref = customer_hasher(organisation.customer_ref_secret)
        self.latest = (now or timezone.now()) + CLOCK_SKEW
        self.allowed = frozenset(COLUMNS[kind])

    def unknown_columns(self, header) -> list[str]:
        allowed = set(COLUMNS[self.kind])
        return [column for column in header if column not in allowed]

    def missing_columns(self, header) -> list[str]:
        return sorted(REQUIRED[self.kind] - set(header))

    def validate(self, row: dict, number: int):
        """Return (clean row, []) or (None, [RowError, …])."""
        if not isinstance(row, dict):
            return None, [RowError(number, "", _("A row must be an object with named fields."))]
        errors = []
        clean = {}
        if not self.allowed.issuperset(row):
            for field in row.keys() - self.allowed:
                errors.append(RowError(number, str(field)[:50], _("Unknown field.")))
        team = _field_text(row.get("team"), number, "team", errors)
        if not team and not any(error.field == "team" for error in errors):
            errors.append(RowError(number, "team", _("Required: the team’s slug.")))
        elif team not in self.teams:
            errors.append(
                RowError(number, "team", _("No team with slug “%(team)s”.") % {"team": team[:60]})
            )
        else:
            clean["team_id"] = self.teams[team]
        when_field = "submitted_at" if self.kind == "responses" else "occurred_at"
        when, message = self.parse_datetime(row.get(when_field))
        if message:
            errors.append(RowError(number, when_field, message))
        clean[when_field] = when
        ref = _field_text(row.get("customer_ref"), number, "customer_ref", errors)
        if len(ref) > MAX_REF:
            errors.append(
                RowError(
                    number, "customer_ref", _("At most %(max)s characters.") % {"max": MAX_REF}
                )
            )
        clean["customer_hash"] = self.hash_ref(ref)
        external_id = _field_text(row.get("external_id"), number, "external_id", errors)
        if len(external_id) > MAX_EXTERNAL_ID:
            errors.append(
                RowError(
                    number,
                    "external_id",
                    _("At most %(max)s characters.") % {"max": MAX_EXTERNAL_ID},
                )
            )
        clean["external_id"] = external_id or None
        if self.kind == "responses":
            self._validate_response(row, number, clean, errors)
        else:
            self._validate_interaction(row, number, clean, errors)
        return (None, errors) if errors else (clean, [])

    def _validate_response(self, row, number, clean, errors):
        score, message = parse_score(row.get("score"))
        if message:
            errors.append(RowError(number, "score", message))
        comment = _field_text(row.get("comment"), number, "comment", errors)
        if len(comment) > MAX_COMMENT:
            errors.append(
                RowError(number, "comment", _("At most %(max)s characters.") % {"max": MAX_COMMENT})
            )
        if score is None and not comment and not message:
            errors.append(RowError(number, "score", _("A row needs a score, a comment or both.")))
        clean["score"] = score
        clean["comment"] = redact(comment)

    def _validate_interaction(self, row, number, clean, errors):
        email = _field_text(row.get("contact_email"), number, "contact_email", errors)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RowError(number, "contact_email", _("Not an e-mail address.")))
            clean["contact_email"] = email
            clean["address_hash"] = self.hash_ref(email)
        language = _field_text(row.get("language"), number, "language", errors).lower()
        if language and language not in LANGUAGES:
            errors.append(RowError(number, "language", _("Must be nl or en.")))
        clean["language"] = language
        self._validate_is_error(row, number, clean, errors)

    def _validate_is_error(self, row, number, clean, errors):
        value = row.get("is_error")
        if isinstance(value, bool):
            clean["is_error"] = value
            return
        word = _text(value).casefold()
        if word in TRUE_WORDS:
            clean["is_error"] = True
        elif word in FALSE_WORDS:
            clean["is_error"] = False
        else:
            errors.append(
                RowError(
                    number, "is_error", _("Must be true or false (also: 1/0, yes/no, ja/nee).")
                )
            )

    def parse_datetime(self, value):
        """An aware datetime from ISO 8601 text, a date, or a spreadsheet datetime."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, _("Required: a date and time, e.g. 2026-03-31 14:05.")
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        elif isinstance(value, str):
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return None, _("Not a date and time: use e.g. 2026-03-31 14:05 or 2026-03-31.")
        else:
            return None, _("Not a date and time: use e.g. 2026-03-31 14:05 or 2026-03-31.")
        if moment.tzinfo is None:
            # No offset given: the organisation's own clock.
            moment = moment.replace(tzinfo=self.zone)
        if moment < EARLIEST:
            return None, _("Too long ago: dates from 2000 on.")
        if moment > self.latest:
            return None, _("In the future.")
        return moment, None  # aware; stored as the same instant whatever its offset


def parse_score(value):
    """(score or None, error message or None): a whole number from 0 to 10, or empty."""
    if value is None or isinstance(value, bool):
        return (None, None) if value is None else (None, _("Must be a whole number from 0 to 10."))
    if isinstance(value, float):
        if not value.is_integer():
            return None, _("Must be a whole number from 0 to 10.")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        if not (text.isascii() and text.isdigit()) or len(text) > 2:
            return None, _("Must be a whole number from 0 to 10.")
        value = int(text)
    if not isinstance(value, int) or not 0 <= value <= 10:
        return None, _("Must be a whole number from 0 to 10.")
    return value, None
