"""Customer references are stored only as a keyed hash; comments are redacted before storing."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone, translation

from feedback.models import Response
from feedback.privacy import customer_hash, customer_hasher, redact, spoken


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me: jan.jansen+shop@example.co.uk please", "Mail me: ⟦email⟧ please"),
        ("Bel 06-12345678 of 020 123 4567", "Bel ⟦phone⟧ of ⟦phone⟧"),
        ("Call +31 (0)6 1234 5678.", "Call ⟦phone⟧."),
        ("Terugstorten op NL91 ABNA 0417 1643 00 graag", "Terugstorten op ⟦iban⟧ graag"),
        ("iban nl91abna0417164300", "iban ⟦iban⟧"),
        ("DE89370400440532013000 thanks", "⟦iban⟧ thanks"),
    ],
)
def test_contact_details_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Besteld op 12-03-2026, kwam 3 dagen later",
        "Wachtte 45 minuten aan de telefoon",
        "Order 123456 was fine, 10/10",
        "Prijs €1.299,00 is te hoog",
        "NL12 boxes arrived",
    ],
)
def test_ordinary_numbers_stay(text):
    assert redact(text) == text


def test_hash_is_keyed_per_organisation_and_ignores_case_and_spacing():
    assert customer_hash("secret-a", " Klant 42 ") == customer_hash("secret-a", "klant  42")
    assert customer_hash("secret-a", "klant 42") != customer_hash("secret-b", "klant 42")
    assert customer_hash("secret-a", "") == ""
    assert customer_hasher("secret-a")("KLANT 42") == customer_hash("secret-a", "klant 42")
    assert len(customer_hash("secret-a", "x")) == 64


def test_every_organisation_gets_its_own_secret(org):
    assert org.organisation.customer_ref_secret != org.other.customer_ref_secret
    assert len(org.organisation.customer_ref_secret) == 64


def test_the_reference_itself_is_stored_nowhere(org, post_rows):
    rows = [
        {
            "team": "alpha",
            "score": 3,
            "comment": "Bel me op 0612345678 of mail piet@example.org",
            "customer_ref": "CUST-98765",
            "submitted_at": "2026-03-01T10:00:00",
        }
    ]
    assert post_rows("responses", rows).status_code == 200
    stored = Response.objects.values().get()
    assert "CUST-98765" not in str(stored) and "cust-98765" not in str(stored)
    assert stored["customer_hash"] == customer_hash(
        org.organisation.customer_ref_secret, "CUST-98765"
    )
    assert stored["comment"] == "Bel me op ⟦phone⟧ of mail ⟦email⟧"


@pytest.mark.parametrize(
    "text",
    ["0612345678 0201234567", "0612345678 / 0687654321", "06-12345678 06-87654321"],
)
def test_several_phone_numbers_in_a_row_are_all_redacted(text):
    assert not any(ch.isdigit() for ch in redact(text)), redact(text)


def test_markers_are_stored_neutral_and_shown_in_the_readers_language():
    stored = redact("Bel 06-12345678 of mail jan@example.nl")
    assert stored == "Bel ⟦phone⟧ of mail ⟦email⟧"
    assert spoken(stored) == "Bel [phone number] of mail [e-mail address]"
    with translation.override("nl"):
        assert spoken(stored) == "Bel [telefoonnummer] of mail [e-mailadres]"


def test_the_migration_rewrites_the_english_markers_stored_before(org):
    migration = import_module("feedback.migrations.0004_neutral_redaction_marks")
    response = Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=3,
        comment="Call [phone] or [e-mail]",
        submitted_at=timezone.now(),
    )
    untouched = Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=9,
        comment="Fine [really]",
        submitted_at=timezone.now(),
    )
    migration.forwards(apps, None)
    response.refresh_from_db()
    untouched.refresh_from_db()
    assert response.comment == "Call ⟦phone⟧ or ⟦email⟧" and untouched.comment == "Fine [really]"
