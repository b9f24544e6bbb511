"""People, teams and departments kept in the app by management and HR; leavers and being
forgotten (organisations/people_views.py, organisations/people.py)."""

from django.urls import reverse
from django.utils import timezone

from alignment import surveys
from alignment.models import Participant
from alignment.tasks import send_alignment_invitations
from dashboards.digest import recipients
from ideas.models import Idea
from levels.models import PlanItem
from organisations.models import Department, Membership, Role, Team, User
from programmes.models import Programme


def person_data(org, **changes):
    data = {
        "first_name": "Nina",
        "last_name": "Nieuw",
        "email": "nina@acme.example",
        "role": Role.EMPLOYEE,
        "language": "nl",
        "teams": [org.team_a.pk, org.team_b.pk],
        "leads": [org.team_b.pk],
    }
    return data | changes


def test_management_adds_a_person_with_teams_and_a_team_they_lead(client, org):
    client.force_login(org.manager)
    response = client.post(reverse("organisations:person_create"), person_data(org))
    assert response.status_code == 302
    nina = User.objects.get(email="nina@acme.example")
    assert nina.username == "nina@acme.example" and nina.organisation == org.organisation
    assert not nina.has_usable_password()
    assert {(m.team.slug, m.is_lead) for m in nina.memberships.all()} == {
        ("alpha", False),
        ("beta", True),
    }


def test_a_lead_outside_their_team_and_an_employee_without_a_team_are_refused(client, org):
    client.force_login(org.manager)
    url = reverse("organisations:person_create")
    response = client.post(url, person_data(org, teams=[org.team_a.pk]))
    assert response.status_code == 400
    assert "must be in the team they lead" in response.content.decode()
    response = client.post(url, person_data(org, teams=[], leads=[]))
    assert "needs at least one team" in response.content.decode()
    assert not User.objects.filter(email="nina@acme.example").exists()


def test_removing_an_employee_from_their_last_team_is_refused(client, org):
    client.force_login(org.manager)
    url = reverse("organisations:person_edit", args=[org.employee.pk])
    data = person_data(org, email=org.employee.email, teams=[], leads=[])
    assert client.post(url, data).status_code == 400
    assert org.employee.memberships.filter(team=org.team_a).exists()


def test_hr_adds_people_but_never_gives_a_management_role_nor_edits_a_manager(client, org):
    client.force_login(org.hr)
    url = reverse("organisations:person_create")
    response = client.post(url, person_data(org, role=Role.MANAGEMENT))
    assert response.status_code == 400
    assert client.post(url, person_data(org, role=Role.HR)).status_code == 302
    edit_manager = reverse("organisations:person_edit", args=[org.manager.pk])
    assert client.get(edit_manager).status_code == 403
    leave = reverse("organisations:person_leave", args=[org.manager.pk])
    assert client.post(leave).status_code == 403
    assert User.objects.get(pk=org.manager.pk).is_active


def test_a_duplicate_address_is_refused(client, org):
    client.force_login(org.manager)
    data = person_data(org, email=org.employee_b.email.upper())
    response = client.post(reverse("organisations:person_create"), data)
    assert response.status_code == 400
    assert "already has this e-mail address" in response.content.decode()


def test_a_leaver_keeps_their_ideas_and_drops_out_of_digests_invitations_and_plan_items(
    client, org, django_capture_on_commit_callbacks, mailoutbox
):
    idea = Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="Call back",
        change="c",
    )
    programme = Programme.objects.create(
        organisation=org.organisation, name="P", starts_on="2026-01-01", is_current=True
    )
    open_item = PlanItem.objects.create(programme=programme, level=1, title="a", owner=org.employee)
    done_item = PlanItem.objects.create(
        programme=programme, level=1, title="b", owner=org.employee, status="done"
    )
    survey = surveys.open_survey(
        organisation=org.organisation,
        title="Round",
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate(),
        teams=[],
    )
    Participant.objects.filter(survey=survey).update(invited_on=None)
    client.force_login(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisations:person_leave", args=[org.employee.pk]))
    assert response.status_code == 302
    org.employee.refresh_from_db()
    assert not org.employee.is_active and org.employee.left_at is not None
    assert Idea.objects.get(pk=idea.pk).proposer == org.employee
    assert org.employee.memberships.exists()  # history stays
    assert PlanItem.objects.get(pk=open_item.pk).owner is None
    assert PlanItem.objects.get(pk=done_item.pk).owner == org.employee
    assert org.employee not in recipients(org.organisation, timezone.localdate())
    mailoutbox.clear()
    send_alignment_invitations(survey.pk)
    invited = {message.to[0] for message in mailoutbox}
    assert org.employee.email not in invited and org.employee_b.email in invited
    # The open survey keeps its place for them, as it was when it opened.
    assert Participant.objects.filter(survey=survey, person=org.employee).exists()


def test_a_leaving_lead_leaves_the_team_without_a_lead(client, org):
    client.force_login(org.manager)
    client.post(reverse("organisations:person_leave", args=[org.lead.pk]))
    assert not Membership.objects.filter(team=org.team_a, is_lead=True).exists()


def test_a_leaver_who_asks_is_forgotten_and_their_idea_stays_from_a_former_colleague(client, org):
    idea = Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="Call back",
        change="c",
    )
    client.force_login(org.hr)
    forget = reverse("organisations:person_forget", args=[org.employee.pk])
    client.post(forget)
    assert User.objects.get(pk=org.employee.pk).first_name  # still active: not forgotten
    client.post(reverse("organisations:person_leave", args=[org.employee.pk]))
    client.post(forget)
    person = User.objects.get(pk=org.employee.pk)
    assert (person.first_name, person.last_name, person.email) == ("", "", "")
    assert person.username == f"former-{person.pk}" and not person.has_usable_password()
    assert str(person) == "a former colleague"
    client.force_login(org.manager)
    page = client.get(reverse("ideas:detail", args=[idea.pk])).content.decode()
    assert "a former colleague" in page.lower()


def test_people_page_shows_who_has_not_joined_and_who_left(
    client, org, django_assert_max_num_queries
):
    org.employee.last_login = timezone.now()
    org.employee.save()
    org.employee_b.is_active = False
    org.employee_b.save()
    client.force_login(org.hr)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("organisations:people") + "?show=not_joined").content.decode()
    assert org.lead.get_full_name() in page and org.employee.get_full_name() not in page
    page = client.get(reverse("organisations:people") + "?show=left").content.decode()
    assert org.employee_b.get_full_name() in page and org.lead.get_full_name() not in page


def test_management_adds_a_department_and_a_team_in_it(client, org):
    client.force_login(org.manager)
    client.post(reverse("organisations:department_create"), {"name": "Sales", "slug": "sales"})
    sales = Department.objects.get(organisation=org.organisation, slug="sales")
    response = client.post(
        reverse("organisations:team_create"),
        {"name": "Shop", "slug": "shop", "department": sales.pk},
    )
    assert response.status_code == 302
    assert Team.objects.get(organisation=org.organisation, slug="shop").department == sales
    taken = client.post(reverse("organisations:team_create"), {"name": "A", "slug": "alpha"})
    assert taken.status_code == 400
    with_teams = client.get(reverse("organisations:teams")).content.decode()
    assert "Shop" in with_teams and org.lead.get_full_name() in with_teams


def test_a_team_cannot_be_put_in_another_organisations_department(client, org):
    foreign = Department.objects.create(organisation=org.other, name="Theirs", slug="theirs")
    client.force_login(org.manager)
    response = client.post(
        reverse("organisations:team_create"),
        {"name": "Shop", "slug": "shop", "department": foreign.pk},
    )
    assert response.status_code == 400


def test_editing_keeps_a_login_name_and_follows_a_changed_address(client, org):
    client.force_login(org.manager)
    data = person_data(org, email="lead.new@acme.example", teams=[org.team_a.pk], leads=[])
    client.post(reverse("organisations:person_edit", args=[org.lead.pk]), data)
    assert User.objects.get(pk=org.lead.pk).username == "lead"  # made by an administrator
    client.post(reverse("organisations:person_create"), person_data(org))
    nina = User.objects.get(email="nina@acme.example")
    data = person_data(org, email="nina.n@acme.example")
    client.post(reverse("organisations:person_edit", args=[nina.pk]), data)
    assert User.objects.get(pk=nina.pk).username == "nina.n@acme.example"
