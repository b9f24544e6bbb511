"""Privacy on the way in: customer references become a keyed hash, and e-mail addresses,
phone numbers and IBANs are taken out of comments before they are stored.

What is taken out is stored as a neutral marker (``⟦phone⟧``), the same in every language;
``spoken`` shows it in the reader's language (“[phone]”, “[telefoonnummer]”) on pages and in
exports. Alignment comments use the same markers for people's names."""

import hashlib
import hmac
import re

from django.utils.translation import gettext_lazy as _

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# A run of digits with the usual separators, optionally international; counted below.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-./()]{6,}\d(?!\w)")
MIN_PHONE_DIGITS = 9

MAYBE_PERSONAL = re.compile(r"[@\d]")

EMAIL_MARK = "⟦email⟧"
PHONE_MARK = "⟦phone⟧"
IBAN_MARK = "⟦iban⟧"
NAME_MARK = "⟦name⟧"
MARK_WORDS = {
    EMAIL_MARK: _("[e-mail address]"),
    PHONE_MARK: _("[phone number]"),
    IBAN_MARK: _("[IBAN]"),
    NAME_MARK: _("[name]"),
}
MARKS = re.compile("|".join(map(re.escape, MARK_WORDS)))


def spoken(text: str) -> str:
    """Stored text with its markers in the reader's language, for pages and exports."""
    if not text or "⟦" not in text:
        return text
    return MARKS.sub(lambda match: str(MARK_WORDS[match.group()]), text)


def _phone(match: re.Match) -> str:
    # Nine digits or more: a phone number, or several in a row ("06… / 020…"); better one
    # long order number too many redacted than a phone number shown.
    digits = sum(ch.isdigit() for ch in match.group())
    return PHONE_MARK if digits >= MIN_PHONE_DIGITS else match.group()


def redact(text: str) -> str:
    """Replace e-mail addresses, IBANs and phone numbers by a marker."""
    if not text or not MAYBE_PERSONAL.search(text):
        return text  # the common case: no digit and no @, nothing to find
    text = EMAIL.sub(EMAIL_MARK, text)
    text = IBAN.sub(_iban, text)
    return PHONE.sub(_phone, text)


def _iban(match: re.Match) -> str:
    # Two letters and digits alone are too common ("NL12 sessions"); a real IBAN is long.
    compact = match.group().replace(" ", "")
    return IBAN_MARK if len(compact) >= 15 else match.group()


def normalise_customer_ref(ref: str) -> str:
    return " ".join(ref.split()).casefold()


def customer_hash(secret: str, ref: str) -> str:
    """HMAC-SHA256 of the normalised reference with the organisation's own secret.

    The same customer always gives the same hash within an organisation (so returning
    customers can be counted), but nobody without the secret can test a guess against it.
    """
    ref = normalise_customer_ref(ref or "")
    if not ref:
        return ""
    return hmac.new(secret.encode(), ref.encode(), hashlib.sha256).hexdigest()


def customer_hasher(secret: str):
    """A fast hashing function bound to one secret, for bulk ingest."""
    key = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def hash_ref(ref: str) -> str:
        ref = normalise_customer_ref(ref or "")
        if not ref:
            return ""
        mac = key.copy()
        mac.update(ref.encode())
        return mac.hexdigest()

    return hash_ref
