"""``manage.py seed_demo``: the demo organisation (slug ``demo``), safe to run again and again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from alignment.demo import seed_alignment
from dashboards.demo_invitations import seed_invitations
from dashboards.models import CommentMark, MarkKind, Reply
from feedback.models import Response, SurveyLink, Theme
from followups.demo import seed_followups
from ideas.demo import seed_ideas
from kpis.synthetic import DEMO_THEMES, generate_rows, store_generated
from levels.demo import seed_plan
from organisations.models import Department, Membership, Organisation, Role, Team, User
from programmes.demo import seed_programme

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo login, refused in production below

DEPARTMENTS = {
    "klantenservice": "Klantenservice",
    "logistiek": "Logistiek",
}

# slug, name, department slug (None: a team outside any department)
TEAMS = [
    ("klantenservice-noord", "Klantenservice Noord", "klantenservice"),
    ("klantenservice-zuid", "Klantenservice Zuid", "klantenservice"),
    ("bezorging", "Bezorging", "logistiek"),
    ("retouren", "Retouren", "logistiek"),
    ("webwinkel", "Webwinkel", None),
]

# username, first name, last name, role, [(team slug, is lead)], can log in with "demo"
PEOPLE = [
    ("manager", "Marieke", "de Vries", Role.MANAGEMENT, [], True),
    ("hr", "Hanneke", "Jansen", Role.HR, [], True),
    ("lead", "Lars", "Bakker", Role.EMPLOYEE, [("klantenservice-noord", True)], True),
    ("employee", "Eva", "Visser", Role.EMPLOYEE, [("klantenservice-noord", False)], True),
    ("employee2", "Sem", "de Boer", Role.EMPLOYEE, [("bezorging", False)], True),
    ("noor", "Noor", "Smit", Role.EMPLOYEE, [("klantenservice-noord", False)], False),
    ("daan", "Daan", "Mulder", Role.EMPLOYEE, [("klantenservice-noord", False)], False),
    ("fleur", "Fleur", "de Graaf", Role.EMPLOYEE, [("klantenservice-zuid", True)], False),
    ("milan", "Milan", "Bos", Role.EMPLOYEE, [("klantenservice-zuid", False)], False),
    ("sara", "Sara", "Peters", Role.EMPLOYEE, [("klantenservice-zuid", False)], False),
    ("thijs", "Thijs", "Hendriks", Role.EMPLOYEE, [("bezorging", True)], False),
    ("julia", "Julia", "van Dijk", Role.EMPLOYEE, [("bezorging", False)], False),
    ("bram", "Bram", "Dekker", Role.EMPLOYEE, [("retouren", True)], False),
    ("lotte", "Lotte", "van Leeuwen", Role.EMPLOYEE, [("retouren", False)], False),
    ("ruben", "Ruben", "Meijer", Role.EMPLOYEE, [("webwinkel", True)], False),
    ("iris", "Iris", "Kok", Role.EMPLOYEE, [("webwinkel", False)], False),
]


class Command(BaseCommand):
    help = "Create or refresh the demo organisation 'demo' with a login for every role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--yes-really",
            action="store_true",
            help="Run even with DEBUG off. The demo logins have the known password 'demo'.",
        )

    def handle(self, *args, yes_really=False, **options):
        if not settings.DEBUG and not yes_really:
            raise CommandError(
                "DEBUG is off: this looks like production, and the demo logins have the known "
                "password 'demo'. Add --yes-really if you mean it."
            )
        taken = (
            User.objects.filter(username__in=[person[0] for person in PEOPLE])
            .exclude(organisation__slug="demo")
            .values_list("username", flat=True)
        )
        if taken:
            raise CommandError(
                "These usernames belong to people outside the demo organisation; the demo will "
                f"not take over their accounts: {', '.join(sorted(taken))}."
            )
        with transaction.atomic():
            organisation = seed_organisation()
            seed_feedback(organisation)
            seed_plan(seed_programme(organisation))
            seed_alignment(organisation)
            seed_ideas(organisation)
            seed_invitations(organisation)
            seed_followups(organisation)
        self.report(organisation)

    def report(self, organisation):
        self.stdout.write(self.style.SUCCESS(f"Demo organisation '{organisation.slug}' is ready."))
        self.stdout.write(f"Logins (password '{DEMO_PASSWORD}'):")
        for username, role in [
            ("manager", "management"),
            ("hr", "hr"),
            ("lead", "team lead of klantenservice-noord"),
            ("employee", "employee of klantenservice-noord"),
            ("employee2", "employee of bezorging"),
        ]:
            self.stdout.write(f"  {username:<10} {role}")
        self.stdout.write("Teams, with the address of their survey form:")
        links = SurveyLink.objects.usable().filter(organisation=organisation, name=DEMO_LINK_NAME)
        link_of = {link.team_id: link for link in links}
        for team in Team.objects.in_organisation(organisation).order_by("slug"):
            link = link_of.get(team.pk)
            address = f"{settings.SITE_URL}/s/{link.token}/" if link else ""
            self.stdout.write(f"  {team.slug:<22} {address}".rstrip())


DEMO_LINK_NAME = "Balie"
DEMO_SEED = 2026
DEMO_RESPONSES = 6000
DEMO_INTERACTIONS = 20000


def seed_feedback(organisation) -> None:
    """Themes, a survey link per team and twelve months of responses and interactions."""
    for name, keywords in DEMO_THEMES.items():
        Theme.objects.get_or_create(
            organisation=organisation, name=name, defaults={"keywords": keywords}
        )
    for team in organisation.teams.all():
        SurveyLink.objects.get_or_create(organisation=organisation, team=team, name=DEMO_LINK_NAME)
    responses, interactions = generate_rows(
        organisation,
        responses=DEMO_RESPONSES,
        interactions=DEMO_INTERACTIONS,
        days=365,
        seed=DEMO_SEED,
    )
    store_generated(organisation, "responses", responses)
    store_generated(organisation, "interactions", interactions)
    seed_closed_loop(organisation)


def seed_closed_loop(organisation) -> None:
    """A few recent unhappy customers of the first team asked to be contacted; the lead has
    answered one, and an employee has read and acted on some comments."""
    team = Team.objects.get(organisation=organisation, slug="klantenservice-noord")
    unhappy = list(
        Response.objects.filter(team=team, score__lte=6)
        .exclude(comment="")
        .order_by("-submitted_at", "-pk")[:4]
    )
    for number, response in enumerate(unhappy, start=1):
        response.contact_email = f"klant{number}@example.com"
        response.save(update_fields=["contact_email"])
    if not unhappy:
        return
    lead = User.objects.get(username="lead")
    Reply.objects.get_or_create(
        response=unhappy[-1],
        author=lead,
        defaults={
            "body": "Dank voor uw eerlijke reactie. We hebben de wachttijd besproken in het "
            "team en bellen u deze week terug.",
            "sent_at": timezone.now(),
        },
    )
    employee = User.objects.get(username="employee")
    for response in unhappy[1:]:
        CommentMark.objects.get_or_create(response=response, user=employee, kind=MarkKind.READ)
    CommentMark.objects.get_or_create(response=unhappy[-1], user=lead, kind=MarkKind.ACTED)


def seed_organisation() -> Organisation:
    organisation, _ = Organisation.objects.update_or_create(
        slug="demo", defaults={"name": "Demo Klantenservice B.V."}
    )
    departments = {
        slug: Department.objects.update_or_create(
            organisation=organisation, slug=slug, defaults={"name": name}
        )[0]
        for slug, name in DEPARTMENTS.items()
    }
    teams = {
        slug: Team.objects.update_or_create(
            organisation=organisation,
            slug=slug,
            defaults={"name": name, "department": departments.get(department)},
        )[0]
        for slug, name, department in TEAMS
    }
    for username, first_name, last_name, role, memberships, can_log_in in PEOPLE:
        person, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.example",
                "organisation": organisation,
                "role": role,
                "is_active": True,
            },
        )
        if can_log_in:
            person.set_password(DEMO_PASSWORD)
        else:
            person.set_unusable_password()
        person.save()
        for team_slug, is_lead in memberships:
            Membership.objects.update_or_create(
                team=teams[team_slug], user=person, defaults={"is_lead": is_lead}
            )
    return organisation
