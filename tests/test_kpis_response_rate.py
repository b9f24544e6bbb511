"""The response rate of personal invitations: counted into the rollups (made or sent, and
answered), read through the KPI API with its interval, the same by update and by rebuild."""

import pytest
from django.core.management import call_command

from feedback import invitations
from feedback.invitations import Contact
from feedback.models import Sampling
from kpis import rollups
from tests import rollup_oracle
from tests.test_kpis_rollups import rollup_rows


@pytest.mark.django_db
def test_links_made_and_answered_give_the_response_rate_in_the_kpi_api(
    org, client, django_capture_on_commit_callbacks
):
    Sampling.objects.create(team=org.team_a, mode=Sampling.Mode.EVERY)
    contacts = [Contact(team_id=org.team_a.pk, customer_hash=f"{n:064x}") for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        made = invitations.invite(org.organisation, contacts, by_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/i/{made[0].invitation.token}/", {"score": "9"})
        client.post(f"/i/{made[0].invitation.token}/", {"score": "9"})  # twice: counts once
        client.get(f"/i/{made[1].invitation.token}/")  # opened, not answered: not used
    client.force_login(org.employee)
    (month,) = client.get("/api/v1/kpis?team=alpha&period=month&last=1").json()["series"]
    assert (month["invitations"], month["answered"]) == (4, 1)
    rate = month["response_rate"]
    assert rate["value"] == 25.0 and rate["n"] == 4
    assert rate["low"] < 25 < rate["high"]
    team_page = client.get("/teams/alpha/").content.decode()
    assert "Response rate 25% (" in team_page and "1 of 4 invited answered" in team_page
    board = client.get("/board/").content.decode()
    assert "25% answered (" in board
    expected = [row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])]
    assert rollup_rows(org.organisation) == expected
    call_command("rebuild_rollups", "--org", org.organisation.slug)
    assert rollup_rows(org.organisation) == expected
    rollups.rebuild(org.organisation)
    whole = client.get("/api/v1/kpis?period=quarter&last=1").json()["series"][0]
    assert (whole["invitations"], whole["answered"]) == (4, 1)
