"""Who may open which page: every URL of the app, for every role (DESIGN.md, "Who uses it").

A new URL fails ``test_every_url_has_expectations`` until its expected answers are written in
EXPECTED below, so visibility cannot be forgotten on a new page.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from alignment import surveys
from alignment.models import Value
from dashboards import replies
from dashboards.digest import digest_opt_out_token
from feedback.models import ImportJob, Invitation, Response, Source, SurveyLink, Theme
from followups.models import FollowUp
from ideas.models import Idea
from organisations import roles
from organisations.models import IntegrationToken, PeopleImport, Webhook
from tests.factories import UserFactory

ROLES = ["anonymous", "manager", "hr", "lead", "employee", "employee_b", "other_manager"]

# Pages outside the organisation's visibility rules: login, password reset, admin, health.
# Pages outside the organisation's visibility rules, by exact name: accounts, admin, health,
# and the token-authenticated API (tests/test_feedback_api.py).
NOT_ORGANISATION_PAGES = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "healthz",
    # Signing in with the organisation's account: tests/test_organisations_sso.py
    "sso_start",
    "sso_callback",
}
NOT_ORGANISATION_NAMESPACES = ("admin:", "api:")

# url name -> (method, args builder, {role: expected status}); 302 for anonymous is the login.
LOGIN = 302
EXPECTED = {
    "home": ("get", lambda o: [], dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN}),
    "dashboards:board": ("get", lambda o: [], dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN}),
    # Own team: members, management and HR. Another team: 404 for employees, as if absent.
    "dashboards:team_detail": (
        "get",
        lambda o: [o.team_a.slug],
        {
            "anonymous": LOGIN,
            "manager": 200,
            "hr": 200,
            "lead": 200,
            "employee": 200,
            "employee_b": 404,
            "other_manager": 404,
        },
    ),
    "organisations:people": (
        "get",
        lambda o: [],
        {
            "anonymous": LOGIN,
            "manager": 200,
            "hr": 200,
            "lead": 403,
            "employee": 403,
            "employee_b": 403,
            "other_manager": 200,
        },
    ),
    "organisations:tokens": (
        "get",
        lambda o: [],
        {
            "anonymous": LOGIN,
            "manager": 200,
            "hr": 403,
            "lead": 403,
            "employee": 403,
            "employee_b": 403,
            "other_manager": 200,
        },
    ),
    "organisations:token_create": (
        "post",
        lambda o: [],
        {
            "anonymous": LOGIN,
            "manager": 200,
            "hr": 403,
            "lead": 403,
            "employee": 403,
            "employee_b": 403,
            "other_manager": 200,
        },
    ),
    "organisations:token_revoke": (
        "post",
        lambda o: [o.token.pk],
        {
            "anonymous": LOGIN,
            "manager": 302,
            "hr": 403,
            "lead": 403,
            "employee": 403,
            "employee_b": 403,
            "other_manager": 404,
        },
    ),
}


PUBLIC = dict.fromkeys(ROLES, 200)


def only(allowed: dict, default: int) -> dict:
    """Expected answers: ``default`` for every logged-in role not named, login for anonymous."""
    return dict.fromkeys(ROLES[1:], default) | {"anonymous": LOGIN} | allowed


TEAM_MANAGERS = {"manager": 200, "lead": 200, "hr": 403, "employee": 403}
TEAM_MANAGERS_POST = {"manager": 302, "lead": 302, "hr": 403, "employee": 403}
MANAGEMENT = {"manager": 200, "other_manager": 200}

EXPECTED |= {
    "organisations:organisation_settings": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "feedback:survey": ("get", lambda o: [o.link.token], PUBLIC),
    "feedback:survey_thanks": ("get", lambda o: [o.link.token], PUBLIC),
    # A personal invitation's form and its "don't ask me again": the customer's, no login.
    "feedback:invitation": ("get", lambda o: [o.invitation.token], PUBLIC),
    "feedback:invitation_stop": ("get", lambda o: [o.invitation.token], PUBLIC),
    # A team's invitations and sampling: its lead and management.
    "dashboards:team_invitations": ("get", lambda o: [o.team_a.slug], only(TEAM_MANAGERS, 404)),
    # A team's links: its lead and management; HR and members see the team but may not manage.
    "feedback:survey_links": ("get", lambda o: [o.team_a.slug], only(TEAM_MANAGERS, 404)),
    "feedback:survey_link_create": (
        "post",
        lambda o: [o.team_a.slug],
        only(TEAM_MANAGERS_POST, 404),
    ),
    "feedback:survey_link_pause": (
        "post",
        lambda o: [o.link.pk],
        only({"manager": 302, "lead": 302}, 404),
    ),
    "feedback:survey_link_revoke": (
        "post",
        lambda o: [o.link.pk],
        only({"manager": 302, "lead": 302}, 404),
    ),
    "feedback:survey_link_qr_svg": ("get", lambda o: [o.link.pk], only(TEAM_MANAGERS, 404)),
    "feedback:survey_link_qr_png": ("get", lambda o: [o.link.pk], only(TEAM_MANAGERS, 404)),
    "feedback:complaint_create": ("get", lambda o: [o.team_a.slug], only(TEAM_MANAGERS, 404)),
    "feedback:themes": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "feedback:theme_edit": (
        "get",
        lambda o: [o.theme.pk],
        only({"manager": 200, "other_manager": 404}, 403),
    ),
    "feedback:theme_delete": (
        "post",
        lambda o: [o.theme.pk],
        only({"manager": 302, "other_manager": 404}, 403),
    ),
    "feedback:imports": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "feedback:import_detail": (
        "get",
        lambda o: [o.job.pk],
        only({"manager": 200, "other_manager": 404}, 403),
    ),
}
COMMENT_READERS = {"manager": 200, "lead": 200, "employee": 200}
EXPECTED |= {
    # Comments are for the team and management: HR and other teams find nothing (404).
    "dashboards:comment_mark": (
        "post",
        lambda o: [o.response.pk],
        only({"manager": 302, "lead": 302, "employee": 302}, 404),
        {"kind": "read"},
    ),
    # Answering a customer: the team's lead and management only.
    "dashboards:comment_reply": ("get", lambda o: [o.response.pk], only(TEAM_MANAGERS, 404)),
    "dashboards:team_export": (
        "get",
        lambda o: [o.team_a.slug, "comments", "csv"],
        only(COMMENT_READERS, 404),
    ),
    "dashboards:board_export": ("get", lambda o: ["xlsx"], only({}, 200)),
    "dashboards:compare": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:account": ("get", lambda o: [], only({}, 200)),
    "organisations:audit_log": ("get", lambda o: [], only(MANAGEMENT, 403)),
    # A customer's data (GDPR requests): management only; nothing found in another organisation.
    "dashboards:customer_data": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "dashboards:customer_export": (
        "post",
        lambda o: [],
        only(MANAGEMENT, 403),
        {"reference": "C1"},
    ),
    "dashboards:customer_erase": (
        "post",
        lambda o: [],
        only({"manager": 400, "other_manager": 400}, 403),
        {"reference": "C1"},
    ),
    "dashboards:digest_opt_out": ("get", lambda o: [o.digest_token], PUBLIC),
}
EXPECTED["dashboards:comment_reply"][2].update(hr=404, employee=404)

# The change programme: everybody in the organisation reads it; management edits it and
# publishes updates; management and team leads set targets (leads only their own team's).
ORGANISATION = {"other_manager": 404}  # another organisation's rows do not exist for them
TARGET_SETTERS = {"manager": 200, "lead": 200, "other_manager": 200}
EXPECTED |= {
    "dashboards:programme": ("get", lambda o: [], only({}, 200)),
    "programmes:programme_create": ("get", lambda o: [], only(MANAGEMENT, 403)),
    # The current programme lives at /programme/, so its own address leads there.
    "dashboards:programme_detail": ("get", lambda o: [o.programme.pk], only(ORGANISATION, 302)),
    "programmes:programme_edit": (
        "get",
        lambda o: [o.programme.pk],
        only({"manager": 200} | ORGANISATION, 403),
    ),
    "programmes:needs_edit": (
        "get",
        lambda o: [o.programme.pk],
        only({"manager": 200} | ORGANISATION, 403),
    ),
    "dashboards:diagnosis": ("get", lambda o: [o.programme.pk], only(ORGANISATION, 200)),
    "dashboards:item_create": (
        "get",
        lambda o: [o.programme.pk],
        only({"manager": 200} | ORGANISATION, 403),
    ),
    # Without htmx an item's own address leads to its place on the ladder.
    "dashboards:item_detail": ("get", lambda o: [o.item.pk], only(ORGANISATION, 302)),
    "dashboards:item_edit": (
        "get",
        lambda o: [o.item.pk],
        only({"manager": 200} | ORGANISATION, 403),
    ),
    "dashboards:item_delete": (
        "post",
        lambda o: [o.item.pk],
        only({"manager": 302} | ORGANISATION, 403),
    ),
    "programmes:targets": ("get", lambda o: [], only({}, 200)),
    "programmes:target_create": ("get", lambda o: [], only(TARGET_SETTERS, 403)),
    "programmes:target_check": ("get", lambda o: [], only(TARGET_SETTERS, 403)),
    "programmes:target_edit": (
        "get",
        lambda o: [o.target.pk],
        only({"manager": 200, "lead": 200} | ORGANISATION, 403),
    ),
    "programmes:target_delete": (
        "post",
        lambda o: [o.target.pk],
        only({"manager": 302, "lead": 302} | ORGANISATION, 403),
    ),
    "programmes:updates": ("get", lambda o: [], only({}, 200)),
    "programmes:update_create": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "programmes:update_delete": (
        "post",
        lambda o: [o.update.pk],
        only({"manager": 302} | ORGANISATION, 403),
    ),
}
# Alignment: values for management and HR; surveys run by HR; answering for the invited (the
# survey covers the whole organisation, so every team member); results for everybody in the
# organisation (each sees only the groups allowed), the export for management and HR.
VALUES_EDIT = {"manager": 200, "hr": 200, "other_manager": 404}
EXPECTED |= {
    "alignment:home": ("get", lambda o: [], only({}, 200)),
    "alignment:values": ("get", lambda o: [], only(MANAGEMENT | {"hr": 200}, 403)),
    "alignment:value_edit": ("get", lambda o: [o.value.pk], only(VALUES_EDIT, 403)),
    "alignment:value_delete": (
        "post",
        lambda o: [o.value.pk],
        only({"manager": 302, "hr": 302, "other_manager": 404}, 403),
    ),
    "alignment:survey_create": ("get", lambda o: [], only({"hr": 200}, 403)),
    "alignment:survey": ("get", lambda o: [o.survey.pk], only({"other_manager": 404}, 200)),
    "alignment:survey_close": ("post", lambda o: [o.survey.pk], only({"hr": 302}, 403)),
    "alignment:answer": (
        "get",
        lambda o: [o.survey.pk],
        only({"lead": 200, "employee": 200, "employee_b": 200, "other_manager": 404}, 403),
    ),
    # Open survey: no results yet, so management and HR are sent back to the survey page.
    "alignment:export": (
        "get",
        lambda o: [o.survey.pk],
        only({"manager": 302, "hr": 302, "other_manager": 404}, 403),
    ),
}
# Team ideas: everybody in the organisation reads, discusses and proposes (for their own
# teams; HR is in none); the idea's own team votes (the organisation's default), not the
# proposer (employee); whoever manages the team moves it on.
EXPECTED |= {
    "ideas:list": ("get", lambda o: [], only({}, 200)),
    # Management has several teams to choose from first; leads and employees get the form.
    "ideas:create": ("get", lambda o: [], only({"hr": 403}, 200)),
    "ideas:detail": ("get", lambda o: [o.idea.pk], only(ORGANISATION, 200)),
    "ideas:vote": (
        "post",
        lambda o: [o.idea.pk],
        only({"lead": 302} | ORGANISATION, 403),
        {"on": "1"},
    ),
    "ideas:comment": (
        "post",
        lambda o: [o.idea.pk],
        only(ORGANISATION, 302),
        {"body": "Good one"},
    ),
    "ideas:move": (
        "post",
        lambda o: [o.idea.pk],
        only({"manager": 302, "lead": 302} | ORGANISATION, 403),
        {"to_status": "accepted"},
    ),
}
# Follow-ups: the team and management (they show comments); the owner (the lead) and
# management move one on; only they hand it over. Outside the team it does not exist.
OUTSIDE_TEAM = {"hr": 404, "employee_b": 404, "other_manager": 404}
EXPECTED |= {
    "followups:list": ("get", lambda o: [], only({}, 200)),
    "followups:detail": ("get", lambda o: [o.followup.pk], only(OUTSIDE_TEAM, 200)),
    "followups:contacted": (
        "post",
        lambda o: [o.followup.pk],
        only({"manager": 302, "lead": 302} | OUTSIDE_TEAM, 400),
        {},
    ),
    "followups:close": (
        "post",
        lambda o: [o.followup.pk],
        only({"manager": 302, "lead": 302} | OUTSIDE_TEAM, 400),
        {"outcome": "closed", "learned": "A late delivery"},
    ),
    "followups:owner": (
        "post",
        lambda o: [o.followup.pk],
        only({"manager": 400, "lead": 400, "employee": 403} | OUTSIDE_TEAM, 403),
        {"owner": "0"},
    ),
}
# Praise: whoever reads the team's comments passes a promoter's comment on.
EXPECTED["dashboards:comment_praise"] = (
    "get",
    lambda o: [o.promoter.pk],
    only({"hr": 404, "employee_b": 404, "other_manager": 404}, 200),
)
# Webhooks: management only, like tokens; another organisation's do not exist.
EXPECTED |= {
    "organisations:webhooks": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:webhook_create": (
        "post",
        lambda o: [],
        only({"manager": 200, "other_manager": 200}, 403),
        {"url": "https://127.0.0.1/x", "events": ["followup.opened"]},
    ),
    "organisations:webhook_detail": (
        "get",
        lambda o: [o.webhook.pk],
        only({"manager": 200, "other_manager": 404}, 403),
    ),
    "organisations:webhook_pause": (
        "post",
        lambda o: [o.webhook.pk],
        only({"manager": 302, "other_manager": 404}, 403),
        {},
    ),
    "organisations:webhook_delete": (
        "post",
        lambda o: [o.webhook.pk],
        only({"manager": 302, "other_manager": 404}, 403),
        {},
    ),
}
# People, teams and departments: management and HR keep people (HR not managers: see
# tests/test_organisations_people.py); management keeps teams and departments.
PEOPLE_KEEPERS = {"manager": 200, "hr": 200, "other_manager": 200}
PEOPLE_KEEPERS_OWN = {"manager": 200, "hr": 200, "other_manager": 404}
PEOPLE_KEEPERS_POST = {"manager": 302, "hr": 302, "other_manager": 404}
# Walked role by role in one test per page (test_people_pages_answer_each_role_as_designed):
# they need only the people, so the rows the other pages need are not made seven times.
PEOPLE_PAGES = {
    "organisations:person_create": ("get", lambda o: [], only(PEOPLE_KEEPERS, 403)),
    "organisations:person_edit": (
        "get",
        lambda o: [o.newcomer.pk],
        only(PEOPLE_KEEPERS_OWN, 403),
    ),
    "organisations:person_leave": (
        "post",
        lambda o: [o.newcomer.pk],
        only(PEOPLE_KEEPERS_POST, 403),
    ),
    "organisations:person_forget": (
        "post",
        lambda o: [o.newcomer.pk],
        only(PEOPLE_KEEPERS_POST, 403),
    ),
    "organisations:person_welcome": (
        "post",
        lambda o: [o.newcomer.pk],
        only(PEOPLE_KEEPERS_POST, 403),
    ),
    "organisations:welcome_not_joined": (
        "post",
        lambda o: [],
        only({"manager": 302, "hr": 302, "other_manager": 302}, 403),
    ),
    "organisations:people_import": ("get", lambda o: [], only(PEOPLE_KEEPERS, 403)),
    "organisations:people_import_detail": (
        "get",
        lambda o: [o.people_import.pk],
        only(PEOPLE_KEEPERS_OWN, 403),
    ),
    "organisations:teams": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:single_sign_on": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:team_create": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:team_edit": (
        "get",
        lambda o: [o.team_a.pk],
        only({"manager": 200, "other_manager": 404}, 403),
    ),
    "organisations:department_create": ("get", lambda o: [], only(MANAGEMENT, 403)),
    "organisations:department_edit": (
        "get",
        lambda o: [o.team_a.department_id],
        only({"manager": 200, "other_manager": 404}, 403),
    ),
    # The link of a welcome e-mail: public; a wrong one says so, whoever follows it.
    "welcome": ("get", lambda o: ["MQ", "0-bad"], dict.fromkeys(ROLES, 400)),
}
EXPECTED |= PEOPLE_PAGES
for name in ("feedback:survey_link_pause", "feedback:survey_link_revoke"):
    EXPECTED[name][2]["hr"] = 404  # links they may not manage do not exist for them
for name in ("feedback:survey_link_qr_svg", "feedback:survey_link_qr_png"):
    EXPECTED[name][2].update(hr=404, employee=404)


def add_programme(org):
    """A current programme with a plan item, a target of team Alpha and an update."""
    from levels.models import PlanItem
    from programmes.models import Programme, Target, Update

    org.programme = Programme.objects.create(
        organisation=org.organisation,
        name="Right first time",
        vision="v",
        mission="m",
        why="w",
        starts_on="2026-01-01",
        is_current=True,
    )
    org.item = PlanItem.objects.create(programme=org.programme, level=1, title="Mission")
    org.target = Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        baseline_start="2026-08-01",
        goal_kind="change",
        goal_amount=8,
        due_on="2026-12-31",
    )
    org.update = Update.objects.create(
        organisation=org.organisation, kind="plans", title="Plans", body="b"
    )
    org.idea = Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="Call back the same day",
        change="A call-back round at four",
    )


def all_url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from all_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_expectations():
    names = {
        name
        for name in all_url_names()
        if name not in NOT_ORGANISATION_PAGES and not name.startswith(NOT_ORGANISATION_NAMESPACES)
    }
    assert names - EXPECTED.keys() == set(), "add the new URL's expected answers to EXPECTED"


@pytest.mark.parametrize("url_name", sorted(EXPECTED.keys() - PEOPLE_PAGES.keys()))
@pytest.mark.parametrize("role", ROLES)
def test_url_answers_each_role_as_designed(client, org, url_name, role):
    org.token, _ = IntegrationToken.issue(organisation=org.organisation, name="Webshop")
    org.link = SurveyLink.objects.create(
        organisation=org.organisation, team=org.team_a, name="Counter"
    )
    org.theme = Theme.objects.create(
        organisation=org.organisation, name="Waiting", keywords="wait, queue"
    )
    org.job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="x.csv", content=b""
    )
    org.response = Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=3,
        comment="Slow at the counter",
        contact_email="customer@example.com",
        submitted_at=timezone.now(),
        source=Source.FORM,
    )
    org.followup = FollowUp.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        response=org.response,
        reached_by="email",
        owner=org.lead,
        due_on=timezone.localdate(),
    )
    org.promoter = Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=10,
        comment="Very kind at the counter",
        submitted_at=timezone.now(),
        source=Source.FORM,
    )
    org.webhook = Webhook.objects.create(
        organisation=org.organisation, url="https://hooks.example.org/x", events=["idea.decided"]
    )
    org.digest_token = digest_opt_out_token(org.employee)
    org.invitation = Invitation.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        customer_hash="a" * 64,
        status=Invitation.Status.LINK,
        expires_at=timezone.now() + timezone.timedelta(days=30),
    )
    add_programme(org)
    org.value = Value.objects.create(organisation=org.organisation, name="Openness")
    org.survey = surveys.open_survey(
        organisation=org.organisation,
        title="Round 1",
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate(),
        teams=[],
    )
    method, args, expected, *data = EXPECTED[url_name]
    if role != "anonymous":
        client.force_login(getattr(org, role))
    url = reverse(url_name, args=args(org))
    data = (data[0] if data else {"name": "CRM"}) if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    if expected[role] == LOGIN and role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_name", sorted(PEOPLE_PAGES))
def test_people_pages_answer_each_role_as_designed(client, org, url_name):
    org.people_import = PeopleImport.objects.create(
        organisation=org.organisation, filename="people.csv", content=b""
    )
    # Not one of the roles: marking them as left leaves every role able to log in.
    org.newcomer = UserFactory(organisation=org.organisation, teams=[org.team_b])
    method, args, expected = PEOPLE_PAGES[url_name]
    url = reverse(url_name, args=args(org))
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(org, role))
        response = getattr(client, method)(url, {} if method == "post" else None)
        assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
        if expected[role] == LOGIN and role == "anonymous":
            assert response["Location"].startswith(reverse("login"))


def test_employee_cannot_open_another_teams_page(client, org):
    client.force_login(org.employee)
    assert client.get(reverse("dashboards:team_detail", args=["beta"])).status_code == 404
    assert client.get(reverse("dashboards:team_detail", args=["alpha"])).status_code == 200


def test_nobody_sees_another_organisations_team_even_with_the_same_slug(client, org):
    client.force_login(org.manager)
    url = reverse("dashboards:team_detail", args=[org.other_team.slug])
    assert client.get(url).status_code == 404
    board = client.get(reverse("dashboards:board")).content.decode()
    assert "Elsewhere" not in board and "Alpha" in board


def test_people_page_lists_only_own_organisation(client, org):
    client.force_login(org.hr)
    page = client.get(reverse("organisations:people")).content.decode()
    assert org.employee_b.get_full_name() in page
    assert org.other_employee.get_full_name() not in page


def test_manager_cannot_revoke_another_organisations_token(client, org):
    foreign, _ = IntegrationToken.issue(organisation=org.other, name="Theirs")
    client.force_login(org.manager)
    response = client.post(reverse("organisations:token_revoke", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


def test_comments_are_for_the_team_and_management_not_hr(org):
    assert roles.can_see_team_comments(org.employee, org.team_a)
    assert roles.can_see_team_comments(org.manager, org.team_b)
    assert not roles.can_see_team_comments(org.employee, org.team_b)
    assert not roles.can_see_team_comments(org.hr, org.team_a)
    assert not roles.can_see_team_comments(org.other_manager, org.team_a)


def test_team_lead_manages_only_the_team_they_lead(org):
    assert roles.can_manage_team(org.lead, org.team_a)
    assert not roles.can_manage_team(org.lead, org.team_b)
    assert not roles.can_manage_team(org.employee, org.team_a)
    assert roles.can_manage_team(org.manager, org.team_c)
    assert not roles.can_manage_team(org.other_manager, org.team_a)


def test_employees_see_only_colleagues_of_their_own_teams(org):
    seen = set(roles.people_visible_to(org.employee))
    assert org.lead in seen and org.employee in seen
    assert org.employee_b not in seen and org.manager not in seen


def test_anonymous_sees_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    assert not roles.teams_visible_to(nobody).exists()
    assert not roles.people_visible_to(nobody).exists()
    assert not roles.tokens_visible_to(nobody).exists()


def test_a_person_moved_to_another_organisation_sees_nothing_of_the_old_one(client, org):
    org.lead.organisation = org.other
    org.lead.save()
    assert not roles.own_teams(org.lead).exists()
    assert roles.home_role(org.lead) == roles.HOME_EMPLOYEE
    client.force_login(org.lead)
    page = client.get(reverse("home")).content.decode()
    assert "Alpha" not in page and org.employee.get_full_name() not in page


@pytest.mark.parametrize("url_name", ["home", "organisations:people", "organisations:tokens"])
def test_another_organisations_manager_sees_none_of_our_names(client, org, url_name):
    IntegrationToken.issue(organisation=org.organisation, name="Acme CRM link")
    client.force_login(org.other_manager)
    page = client.get(reverse(url_name)).content.decode()
    for name in ["Acme", "Alpha", "Beta", org.employee.get_full_name()]:
        assert name not in page, name


def test_a_token_created_by_another_organisations_manager_is_theirs(client, org):
    client.force_login(org.other_manager)
    client.post(reverse("organisations:token_create"), {"name": "Theirs"})
    assert IntegrationToken.objects.get(name="Theirs").organisation == org.other


def test_membership_form_with_a_missing_person_is_a_form_error_not_a_crash(org):
    from organisations.models import Membership

    Membership(team=org.team_a, is_lead=True).clean()  # no exception


def test_contact_emails_are_for_the_team_lead_and_management_only(org):
    from django.utils import timezone

    from feedback.models import Response

    answer = Response.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        score=2,
        submitted_at=timezone.now(),
        source="form",
        contact_email="klant@example.org",
    )
    assert replies.can_see_contact_email(org.lead, answer)
    assert replies.can_see_contact_email(org.manager, answer)
    for person in (org.employee, org.hr, org.employee_b, org.other_manager):
        assert not replies.can_see_contact_email(person, answer), person
