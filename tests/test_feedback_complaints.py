"""Complaints a team lead logs by hand (read in the organisation's own clock), and contact
e-mails forgotten after the organisation's retention period."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from feedback.models import Interaction, Response
from feedback.privacy import customer_hash
from feedback.tasks import purge_contact_emails
from tests.factories import UserFactory

URL = "/teams/alpha/complaints/new/"


def local_minute(zone_name, moment=None):
    moment = (moment or timezone.now()).astimezone(zoneinfo.ZoneInfo(zone_name))
    return moment.strftime("%Y-%m-%dT%H:%M")


def complaint(**fields):
    return {
        "occurred_at": "2026-03-31T23:30",
        "customer_ref": " Klant 42 ",
        "note": "Pakket kwijt. Bel 06-12345678 of mail jan.jansen@example.org",
    } | fields


@pytest.fixture
def lead_client(client, org):
    client.force_login(org.lead)
    return client


def test_the_form_shows_the_current_time_on_the_organisations_clock(lead_client, org):
    before = local_minute("Europe/Amsterdam")
    page = lead_client.get(URL)
    after = local_minute("Europe/Amsterdam")
    assert page.status_code == 200
    html = page.content.decode()
    shown = re.search(r'<input type="datetime-local" name="occurred_at" value="([^"]*)"', html)
    assert shown, html
    assert shown.group(1) in {before, after}
    assert 'name="note"' in html and 'name="customer_ref"' in html


def test_the_form_follows_an_organisation_in_another_time_zone(lead_client, org):
    org.organisation.time_zone = "Asia/Tokyo"
    org.organisation.save()
    before = local_minute("Asia/Tokyo")
    html = lead_client.get(URL).content.decode()
    after = local_minute("Asia/Tokyo")
    shown = re.search(r'name="occurred_at" value="([^"]*)"', html).group(1)
    assert shown in {before, after}
    assert shown != local_minute(settings.TIME_ZONE)  # Tokyo is never on Amsterdam's clock


def test_a_team_lead_logs_a_complaint(lead_client, org):
    response = lead_client.post(URL, complaint())
    assert response.status_code == 302
    assert response["Location"] == "/teams/alpha/"
    stored = Interaction.objects.get()
    assert stored.organisation == org.organisation and stored.team == org.team_a
    assert stored.is_error is True
    assert stored.source == "manual"
    assert stored.created_by == org.lead
    assert stored.external_id is None
    assert stored.note == "Pakket kwijt. Bel ⟦phone⟧ of mail ⟦email⟧"
    assert stored.customer_hash == customer_hash(org.organisation.customer_ref_secret, "klant 42")
    assert "klant 42" not in str(Interaction.objects.values().get()).casefold()
    page = lead_client.get(response["Location"]).content.decode()
    assert "The complaint is logged." in page


def test_a_complaint_without_a_customer_reference_has_no_hash(lead_client, org):
    assert lead_client.post(URL, complaint(customer_ref="")).status_code == 302
    assert Interaction.objects.get().customer_hash == ""


def test_the_same_customer_gets_the_same_hash_as_through_the_api(lead_client, org, post_rows):
    row = {"team": "alpha", "customer_ref": "KLANT 42", "occurred_at": "2026-03-01"}
    assert post_rows("interactions", [row]).status_code == 200
    assert lead_client.post(URL, complaint(customer_ref="klant  42")).status_code == 302
    assert Interaction.objects.values("customer_hash").distinct().count() == 1


def test_a_typed_time_is_read_on_the_organisations_clock(lead_client, org):
    # 31 March 2026 is summer time in Amsterdam: 23:30 there is 21:30 UTC.
    assert lead_client.post(URL, complaint(occurred_at="2026-03-31T23:30")).status_code == 302
    assert Interaction.objects.get().occurred_at == dt.datetime(2026, 3, 31, 21, 30, tzinfo=dt.UTC)


def test_a_typed_time_in_winter_is_one_hour_ahead_of_utc(lead_client, org):
    assert lead_client.post(URL, complaint(occurred_at="2026-01-15T08:00")).status_code == 302
    assert Interaction.objects.get().occurred_at == dt.datetime(2026, 1, 15, 7, 0, tzinfo=dt.UTC)


def test_a_typed_time_follows_the_organisations_own_time_zone(lead_client, org):
    org.organisation.time_zone = "Asia/Tokyo"
    org.organisation.save()
    assert lead_client.post(URL, complaint(occurred_at="2026-03-31T23:30")).status_code == 302
    assert Interaction.objects.get().occurred_at == dt.datetime(2026, 3, 31, 14, 30, tzinfo=dt.UTC)


def test_a_time_in_the_future_is_refused(lead_client, org):
    in_an_hour = local_minute("Europe/Amsterdam", timezone.now() + dt.timedelta(hours=1))
    response = lead_client.post(URL, complaint(occurred_at=in_an_hour))
    assert response.status_code == 400
    assert "That is in the future." in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_clock_a_few_minutes_ahead_is_forgiven(lead_client, org):
    soon = local_minute("Europe/Amsterdam", timezone.now() + dt.timedelta(minutes=3))
    assert lead_client.post(URL, complaint(occurred_at=soon)).status_code == 302
    assert Interaction.objects.count() == 1


def test_a_time_that_does_not_exist_on_the_organisations_clock_is_refused(lead_client, org):
    # Clocks in Amsterdam jump from 02:00 to 03:00 on 29 March 2026.
    response = lead_client.post(URL, complaint(occurred_at="2026-03-29T02:30"))
    assert response.status_code == 400
    assert "couldn’t be interpreted in time zone" in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"occurred_at": ""}, "This field is required."),
        ({"occurred_at": "gisteren"}, "Enter a valid date/time."),
        ({"note": ""}, "This field is required."),
        ({"note": "x" * 5001}, "Ensure this value has at most 5000 characters"),
        ({"customer_ref": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_a_complaint_form_with_errors_is_shown_again(lead_client, org, fields, message):
    response = lead_client.post(URL, complaint(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_complaint_dated_in_year_one_gets_an_error_not_a_500(lead_client, org):
    # Regression: a time before the year 2000 (here year one, which falls before Python's first
    # year in UTC) crashed storing on SQLite and broke later reads on PostgreSQL.
    response = lead_client.post(URL, complaint(occurred_at="0001-01-01T00:00"))
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_a_manager_may_log_a_complaint_for_any_team(client, org):
    client.force_login(org.manager)
    response = client.post("/teams/gamma/complaints/new/", complaint())
    assert response.status_code == 302
    stored = Interaction.objects.get()
    assert (stored.team, stored.created_by) == (org.team_c, org.manager)


def test_an_employee_cannot_log_a_complaint(client, org):
    client.force_login(org.employee)
    assert client.get(URL).status_code == 403
    assert client.post(URL, complaint()).status_code == 403
    assert not Interaction.objects.exists()


def test_hr_cannot_log_a_complaint(client, org):
    client.force_login(org.hr)
    assert client.post(URL, complaint()).status_code == 403
    assert not Interaction.objects.exists()


def test_another_teams_lead_does_not_find_the_page(client, org):
    beta_lead = UserFactory(username="beta_lead", organisation=org.organisation, leads=[org.team_b])
    client.force_login(beta_lead)
    assert client.get(URL).status_code == 404
    assert client.post(URL, complaint()).status_code == 404
    assert not Interaction.objects.exists()
    # Their own team's page works.
    assert client.post("/teams/beta/complaints/new/", complaint()).status_code == 302


def test_another_organisations_manager_does_not_find_the_page(client, org):
    client.force_login(org.other_manager)
    assert client.post(URL, complaint()).status_code == 404
    assert not Interaction.objects.exists()


def test_logging_in_is_required(client, org):
    response = client.post(URL, complaint())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Interaction.objects.exists()


# --- Contact e-mails are forgotten after the retention period -----------------------------------


def response_with_email(organisation, team, email, days_ago):
    response = Response.objects.create(
        organisation=organisation,
        team=team,
        score=8,
        comment="Graag contact",
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
        source="form",
        contact_email=email,
    )
    # created_at is when the address reached us; the retention period counts from there.
    Response.objects.filter(pk=response.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return response


def test_contact_emails_older_than_the_retention_period_are_forgotten(org):
    org.organisation.contact_retention_days = 30
    org.organisation.save()
    old = response_with_email(org.organisation, org.team_a, "old@example.org", 100)
    just_old = response_with_email(org.organisation, org.team_a, "31@example.org", 31)
    just_new = response_with_email(org.organisation, org.team_a, "29@example.org", 29)
    new = response_with_email(org.organisation, org.team_b, "new@example.org", 1)

    assert purge_contact_emails() == 2

    stored = dict(Response.objects.values_list("pk", "contact_email"))
    assert stored == {
        old.pk: "",
        just_old.pk: "",
        just_new.pk: "29@example.org",
        new.pk: "new@example.org",
    }
    old.refresh_from_db()
    assert (old.score, old.comment) == (8, "Graag contact")  # only the address goes


def test_each_organisation_keeps_contact_emails_for_its_own_period(org):
    org.organisation.contact_retention_days = 30
    org.organisation.save()
    org.other.contact_retention_days = 365
    org.other.save()
    ours = response_with_email(org.organisation, org.team_a, "ours@example.org", 100)
    theirs = response_with_email(org.other, org.other_team, "theirs@example.org", 100)
    their_oldest = response_with_email(org.other, org.other_team, "oldest@example.org", 400)

    assert purge_contact_emails() == 2

    stored = dict(Response.objects.values_list("pk", "contact_email"))
    assert stored == {ours.pk: "", theirs.pk: "theirs@example.org", their_oldest.pk: ""}


def test_purging_twice_forgets_nothing_more(org):
    response_with_email(org.organisation, org.team_a, "old@example.org", 200)
    response_with_email(org.organisation, org.team_a, "new@example.org", 2)
    assert purge_contact_emails() == 1
    assert purge_contact_emails() == 0
    assert sorted(Response.objects.values_list("contact_email", flat=True)) == [
        "",
        "new@example.org",
    ]


def test_the_purge_runs_on_a_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "feedback.tasks.purge_contact_emails" in tasks
