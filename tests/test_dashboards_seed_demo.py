"""``seed_demo``: the documented logins work, a second run changes nothing, production refuses."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from dashboards.demo_invitations import seed_invitations
from dashboards.management.commands import seed_demo
from feedback.models import Interaction, Invitation, Response, Sampling, SurveyLink, Theme
from kpis import read
from kpis.tasks import recompute_rollups
from levels.models import PlanItem
from organisations.models import Department, Membership, Organisation, Team, User
from programmes.models import NeedStatement, Programme, Target, Update

MODELS = (
    Organisation,
    Department,
    Team,
    User,
    Membership,
    SurveyLink,
    Theme,
    Response,
    Interaction,
    Programme,
    NeedStatement,
    PlanItem,
    Target,
    Update,
)


@pytest.fixture(autouse=True)
def smaller_demo(monkeypatch):
    monkeypatch.setattr(seed_demo, "DEMO_RESPONSES", 400)
    monkeypatch.setattr(seed_demo, "DEMO_INTERACTIONS", 900)


def counts():
    return [model.objects.count() for model in MODELS]


def test_seed_demo_is_idempotent_and_prints_logins(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first
    text = out.getvalue()
    for username in ("manager", "hr", "lead", "employee", "employee2"):
        assert username in text
    assert "klantenservice-noord" in text


def test_seed_demo_gives_a_year_of_feedback_links_and_themes(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    # Besides the answers to personal invitations (seed_invitations):
    assert Response.objects.filter(invitation__isnull=True).count() == 400
    assert Interaction.objects.count() == 900
    assert SurveyLink.objects.count() == Team.objects.count()
    assert f"/s/{SurveyLink.objects.first().token}/" in out.getvalue()
    assert Theme.objects.count() >= 5
    assert Response.themes.through.objects.exists()
    assert Interaction.objects.filter(is_error=True).exists()
    first, last = (
        Response.objects.order_by("submitted_at").values_list("submitted_at", flat=True)[0],
        Response.objects.order_by("-submitted_at").values_list("submitted_at", flat=True)[0],
    )
    assert (last - first).days > 330
    returning = Response.objects.values("customer_hash").distinct().count()
    assert returning < Response.objects.count()  # some customers answered more than once


@pytest.mark.parametrize(
    ("username", "marker"),
    [
        ("manager", "Demo Klantenservice B.V."),
        ("hr", "People and their teams"),
        ("lead", "You lead this team"),
        ("employee", "Klantenservice Noord"),
        ("employee2", "Bezorging"),
    ],
)
def test_every_demo_login_works_with_password_demo(db, settings, username, marker):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    client = Client(headers={"accept-language": "en"})
    response = client.post(reverse("login"), {"username": username, "password": "demo"})
    assert response.status_code == 302
    assert marker in client.get(reverse("home")).content.decode()


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--yes-really"):
        call_command("seed_demo", stdout=StringIO())
    assert Organisation.objects.count() == 0
    call_command("seed_demo", "--yes-really", stdout=StringIO())
    assert Organisation.objects.filter(slug="demo").exists()


def test_seed_demo_never_takes_over_a_real_account(db, settings):
    from tests.factories import PASSWORD, UserFactory

    settings.DEBUG = True
    real = UserFactory(username="manager")
    with pytest.raises(CommandError, match="manager"):
        call_command("seed_demo", stdout=StringIO())
    real.refresh_from_db()
    assert real.check_password(PASSWORD) and real.organisation.slug != "demo"
    assert not Organisation.objects.filter(slug="demo").exists()


def test_seed_demo_gives_a_programme_with_every_level_and_one_incoherence(db, settings):
    from levels import coherence

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    programme = Programme.objects.get(is_current=True)
    assert Programme.objects.count() == 2  # an earlier one, over time
    assert NeedStatement.objects.filter(programme=programme).count() == 6
    items = list(PlanItem.objects.filter(programme=programme))
    assert {item.level for item in items} == set(range(1, 8))
    assert all(
        item.serves is not None
        for item in items
        if item.level > 1 and item.title != "Nieuw ticketsysteem"
    )
    targets = list(Target.objects.filter(programme=programme))
    assert len(targets) == 4 and all(target.plan_items.exists() for target in targets)
    assert Update.objects.count() == 3 and Update.objects.filter(teams__isnull=False).exists()
    with_plan = {target.pk for target in targets}
    findings = coherence.diagnose(items, targets, with_plan)
    assert [(finding.rule, finding.items[0].title) for finding in findings] == [
        (coherence.ORPHAN, "Nieuw ticketsysteem")
    ]


def test_the_demo_programme_pages_show_the_plan_and_targets_with_figures(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    client = Client(headers={"accept-language": "en"})
    client.post(reverse("login"), {"username": "employee", "password": "demo"})
    assert "Nieuw ticketsysteem" in client.get(reverse("dashboards:programme")).content.decode()
    targets = client.get(reverse("programmes:targets")).content.decode()
    assert "Klantenservice Noord" in targets and "Baseline (" in targets
    assert "De foutmeldingen dalen" in client.get(reverse("home")).content.decode()


def test_the_demo_invites_after_contacts_with_response_rates_and_a_sized_team(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    organisation = Organisation.objects.get(slug="demo")
    invited = Invitation.objects.filter(organisation=organisation)
    assert invited.count() > 20 and invited.filter(answered_at__isnull=False).exists()
    sized = Sampling.objects.get(team__slug="klantenservice-noord")
    assert sized.mode == "sized" and sized.sizing["needs"][0]["answers_per_period"] > 1000
    recompute_rollups(organisation.pk)  # what the commit announces, done here
    quarter = read.series(organisation, kind="quarter", last=2)
    assert sum(entry["invitations"] for entry in quarter) == invited.count()
    assert any(entry["response_rate"]["value"] for entry in quarter)
    made = invited.count()
    assert seed_invitations(organisation) == 0  # idempotent
    assert invited.count() == made
