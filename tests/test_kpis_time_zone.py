"""An organisation that moves to another time zone: every stored local day is stamped again on
the new clock, the rollups are recomputed to equal a rebuild (and the independent
recomputation) on it, and pages say the figures are being recomputed until that is done."""

import zoneinfo

import pytest

from feedback import restamp
from feedback.models import DirtyMark, Interaction, Response
from kpis import rollups
from kpis.models import Rollup
from kpis.tasks import recompute_rollups
from organisations.models import ClockChange, Organisation
from tests import rollup_oracle
from tests.test_kpis_rollups import rollup_rows

# Moments near midnight and month ends: in Amsterdam (UTC+1/+2) and New York (UTC-5/-4) many
# of them fall on different days, weeks, months and even quarters.
MOMENTS = [
    "2026-03-31T22:30:00Z",  # 1 April in Amsterdam, 31 March in New York
    "2026-03-31T03:00:00Z",  # 31 March in Amsterdam, 30 March in New York
    "2026-06-30T23:15:00Z",
    "2026-07-01T02:00:00Z",  # July in Amsterdam, June in New York
    "2026-01-04T23:30:00Z",  # a Monday in Amsterdam, Sunday (last week) in New York
    "2026-02-14T12:00:00Z",
]


@pytest.fixture
def stored(org, post_rows, django_capture_on_commit_callbacks):
    responses = [
        {"team": team, "score": score, "comment": "ok", "submitted_at": moment}
        for team, score in (("alpha", 9), ("beta", 3))
        for moment in MOMENTS
    ]
    interactions = [
        {"team": team, "customer_ref": ref, "occurred_at": moment, "is_error": ref == "B"}
        for team, ref in (("alpha", "A"), ("beta", "A"), ("alpha", "B"))
        for moment in MOMENTS
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert post_rows("responses", responses).status_code == 200
        assert post_rows("interactions", interactions).status_code == 200
    assert not DirtyMark.objects.exists()


def local_days(model, moment_field, zone):
    return sorted(
        (getattr(row, moment_field).astimezone(zone).date(), row.local_day)
        for row in model.objects.all()
    )


def change_zone(client, org, zone):
    client.force_login(org.manager)
    form = {
        "name": org.organisation.name,
        "time_zone": zone,
        "min_responses": 30,
        "min_group_size": 5,
        "min_comment_group_size": 8,
        "contact_retention_days": 90,
        "idea_voting": "team",
    }
    return client.post("/organisation/", form)


def test_a_change_of_zone_restamps_every_day_and_the_rollups_equal_a_rebuild_on_the_new_clock(
    client, org, stored, django_capture_on_commit_callbacks
):
    before = rollup_rows(org.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = change_zone(client, org, "America/New_York")
    assert response.status_code == 302
    organisation = Organisation.objects.get(pk=org.organisation.pk)
    assert organisation.time_zone == "America/New_York"
    zone = zoneinfo.ZoneInfo("America/New_York")
    for model, field in ((Response, "submitted_at"), (Interaction, "occurred_at")):
        assert all(expected == stored for expected, stored in local_days(model, field, zone))
    now = rollup_rows(organisation)
    assert now != before  # the figures really moved
    assert now == [row for row in rollup_oracle.rollups(organisation) if any(row[3:])]
    rollups.rebuild(organisation)
    assert rollup_rows(organisation) == now
    change = ClockChange.objects.get()
    assert change.previous_time_zone == "Europe/Amsterdam"
    assert change.restamped_at and change.finished_at
    assert change.rows_done == change.rows_total == 12 + 18
    assert organisation.recomputing_since is None


def test_pages_say_the_figures_are_being_recomputed_until_they_are(
    client, org, stored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change_zone(client, org, "Asia/Tokyo")  # the worker has not started yet
    client.force_login(org.employee)
    notice = "every figure is being recomputed on the new clock"
    assert notice in client.get("/board/").content.decode()
    client.force_login(org.manager)
    page = client.get("/organisation/").content.decode()
    assert "Moving from Europe/Amsterdam to Asia/Tokyo: 0% of the responses" in page
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # the worker takes the change
    page = client.get("/organisation/").content.decode()
    assert notice not in page
    assert "every figure was recomputed on the new clock" in page
    assert rollup_rows(org.organisation) == [
        row
        for row in rollup_oracle.rollups(Organisation.objects.get(pk=org.organisation.pk))
        if any(row[3:])
    ]


def test_restamping_twice_or_after_a_kill_does_each_batch_once(
    org, stored, monkeypatch, django_capture_on_commit_callbacks
):
    organisation = org.organisation
    organisation.time_zone = "America/New_York"
    organisation.save()
    change = ClockChange.request(organisation, "Europe/Amsterdam")
    monkeypatch.setattr(restamp, "BATCH", 5)
    batches = []
    original = restamp._restamp_batch

    def counted(change, zone, name, *args):
        batches.append((name, change.cursors.get(name, 0)))
        return original(change, zone, name, *args)

    monkeypatch.setattr(restamp, "_restamp_batch", counted)
    with django_capture_on_commit_callbacks(execute=True):
        assert restamp.restamp(change.pk) is True
        assert restamp.restamp(change.pk) is False  # delivered again: nothing left to do
    assert len(batches) == len(set(batches))  # no batch twice
    recompute_rollups(organisation.pk)
    assert rollup_rows(organisation) == [
        row for row in rollup_oracle.rollups(organisation) if any(row[3:])
    ]


def test_a_second_change_overtakes_the_first_and_the_rows_follow_the_last_zone(
    client, org, stored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        change_zone(client, org, "Asia/Tokyo")
    with django_capture_on_commit_callbacks(execute=True):
        change_zone(client, org, "America/New_York")
    first, last = ClockChange.objects.order_by("pk")
    assert first.finished_at and first.restamped_at is None  # overtaken
    assert last.finished_at and last.restamped_at
    assert restamp.restamp(first.pk) is False
    organisation = Organisation.objects.get(pk=org.organisation.pk)
    assert rollup_rows(organisation) == [
        row for row in rollup_oracle.rollups(organisation) if any(row[3:])
    ]
    assert Rollup.objects.filter(organisation=organisation).exists()


def test_changing_other_settings_keeps_the_clock(client, org, stored):
    response = change_zone(client, org, "Europe/Amsterdam")
    assert response.status_code == 302
    assert not ClockChange.objects.exists()
    assert Organisation.objects.get(pk=org.organisation.pk).recomputing_since is None


def test_a_settings_save_that_overlaps_the_end_of_a_change_does_not_bring_the_notice_back(
    client, org, stored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change_zone(client, org, "Asia/Tokyo")
    loaded_before_the_end = Organisation.objects.get(pk=org.organisation.pk)
    assert loaded_before_the_end.recomputing_since is not None
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    loaded_before_the_end.name = "Acme Holding"
    loaded_before_the_end.save()
    organisation = Organisation.objects.get(pk=org.organisation.pk)
    assert organisation.name == "Acme Holding"
    assert organisation.recomputing_since is None


def test_the_admin_does_not_move_an_organisation_to_another_zone(client, org):
    """Only the settings page does, as it restamps and recomputes; the admin shows the zone."""
    from organisations.models import User

    admin = User.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    page = client.get(f"/admin/organisations/organisation/{org.organisation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="time_zone"' not in html and "Europe/Amsterdam" in html
    assert (
        'name="time_zone"' in client.get("/admin/organisations/organisation/add/").content.decode()
    )


def test_the_sweeper_sends_again_only_a_restamp_that_stalled(org, monkeypatch):
    from django.utils import timezone

    from feedback import tasks

    sent = []
    monkeypatch.setattr(tasks, "send", lambda task, *args: sent.append(args))
    long_ago = timezone.now() - restamp.GRACE * 2
    moving = ClockChange.request(org.organisation, "UTC")
    stalled = ClockChange.objects.create(
        organisation=org.organisation, time_zone="Asia/Tokyo", previous_time_zone="UTC"
    )
    ClockChange.objects.filter(pk=moving.pk).update(
        requested_at=long_ago, progressed_at=timezone.now()
    )
    ClockChange.objects.filter(pk=stalled.pk).update(requested_at=long_ago, progressed_at=long_ago)
    assert tasks.sweep_clock_changes() == 1
    assert sent == [(stalled.pk,)]


def test_a_backlog_of_many_periods_is_done_by_one_rebuild(org, stored, settings, monkeypatch):
    settings.ROLLUP_REBUILD_ABOVE = 10
    rebuilds = []
    original = rollups._rebuild
    monkeypatch.setattr(rollups, "_rebuild", lambda o: rebuilds.append(o) or original(o))
    DirtyMark.objects.mark(
        org.organisation,
        {(org.team_a.pk, day) for day in (f"2026-0{m}-0{d}" for m in (1, 4, 7) for d in (1, 2))},
        later_periods=True,
    )
    recompute_rollups(org.organisation.pk)
    assert len(rebuilds) == 1 and not DirtyMark.objects.exists()
    assert rollup_rows(org.organisation) == [
        row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])
    ]
