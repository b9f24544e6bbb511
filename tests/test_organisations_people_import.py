"""Importing people from CSV or XLSX: every row checked, all or nothing, and a preview of exactly
what a re-import changes before it does (organisations/people_import.py)."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from organisations.models import Membership, PeopleImport, Role, User
from organisations.people_import import apply, plan, read_people
from tests.factories import OrganisationFactory, TeamFactory, UserFactory

HEADER = ["name", "email", "team", "role", "language", "lead"]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(text: str) -> bytes:
    return text.strip().encode()


def upload(client, data, name="people.xlsx", **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("organisations:people_import"), {"file": file, **extra})


@pytest.fixture
def big(db):
    organisation = OrganisationFactory(name="Big", slug="big")
    teams = [TeamFactory(organisation=organisation, slug=f"t{n:02}") for n in range(30)]
    manager = UserFactory(username="boss", organisation=organisation, role=Role.MANAGEMENT)
    return organisation, teams, manager


def staff_rows(count=500):
    rows = []
    for n in range(count):
        role = "hr" if n % 100 == 7 else "employee"
        rows.append([f"Person {n}", f"p{n}@big.example", f"t{n % 30:02}", role, "nl", ""])
    rows[0][5] = "yes"  # leads t00
    return rows


def test_five_hundred_people_into_thirty_teams_then_a_reimport_previews_exactly_its_changes(
    client, big, django_assert_max_num_queries
):
    organisation, teams, manager = big
    client.force_login(manager)
    rows = staff_rows()
    response = upload(client, xlsx(rows))
    preview = PeopleImport.objects.get()
    assert response.status_code == 302
    assert len(preview.changes) == 500
    assert {change["field"] for change in preview.changes} == {"new"}
    assert not User.objects.filter(username="p1@big.example").exists()  # nothing before yes

    with django_assert_max_num_queries(40):
        client.post(reverse("organisations:people_import_detail", args=[preview.pk]))
    assert User.objects.in_organisation(organisation).count() == 501
    assert Membership.objects.filter(team__organisation=organisation).count() == 500
    assert Membership.objects.get(user__username="p0@big.example").is_lead
    assert User.objects.get(username="p7@big.example").role == Role.HR
    assert not User.objects.get(username="p3@big.example").has_usable_password()

    # The same file again changes nothing; a changed one lists exactly what it changes.
    changed = [list(row) for row in rows]
    changed[3][0] = "Person Three"  # name
    changed[4][2] = "t05, t06"  # from t04 to t05 and t06
    changed[5][3] = "management"  # role
    changed[6][4] = "en"  # language
    changed[0][5] = ""  # no longer leads
    changed[8][5] = "t08"  # now leads t08
    changed.append(["New Person", "new@big.example", "t01", "employee", "", ""])
    del changed[9]  # not in the file: stays as it is
    upload(client, xlsx(rows))
    assert PeopleImport.objects.order_by("-pk").first().changes == []
    upload(client, xlsx(changed))
    preview = PeopleImport.objects.order_by("-pk").first()
    listed = {(change["email"], change["field"]): change for change in preview.changes}
    assert set(listed) == {
        ("p3@big.example", "name"),
        ("p4@big.example", "teams"),
        ("p5@big.example", "role"),
        ("p6@big.example", "language"),
        ("p0@big.example", "leads"),
        ("p8@big.example", "leads"),
        ("new@big.example", "new"),
    }
    assert listed[("p4@big.example", "teams")]["after"] == f"{teams[5].name}, {teams[6].name}"
    assert listed[("p5@big.example", "role")]["after"] == "Management"
    page = client.get(reverse("organisations:people_import_detail", args=[preview.pk]))
    assert "Person Three" in page.content.decode()

    client.post(reverse("organisations:people_import_detail", args=[preview.pk]))
    assert User.objects.get(username="p3@big.example").get_full_name() == "Person Three"
    assert set(
        Membership.objects.filter(user__username="p4@big.example").values_list(
            "team__slug", flat=True
        )
    ) == {"t05", "t06"}
    assert not Membership.objects.get(user__username="p0@big.example").is_lead
    assert Membership.objects.get(user__username="p8@big.example").is_lead
    assert User.objects.filter(username="p9@big.example", is_active=True).exists()
    # Applied: the same file now changes nothing.
    reading = read_people(organisation, xlsx(changed), "x.xlsx", editor=manager)
    assert plan(organisation, reading.rows) == []


def test_bad_rows_are_each_named_by_row_and_column_and_nothing_changes(client, org):
    client.force_login(org.manager)
    org.team_a.memberships.create(user=UserFactory(organisation=org.other), is_lead=False)
    data = csv(
        """
name,email,team,role,language,lead
Ann,ann@acme.example,alpha,employee,nl,
Bob,ann@ACME.example,beta,employee,en,
Cas,cas@acme.example,nowhere,employee,,
Dee,dee@acme.example,alpha,boss,,
Eve,eve@acme.example,alpha,employee,fr,
Fay,fay@acme.example,alpha,employee,,beta
Gus,gus@acme.example,,employee,,
,not-an-address,alpha,employee,,
Hal,other_manager@example.org,alpha,employee,,
"""
    )
    before = User.objects.count()
    response = upload(client, data, name="people.csv")
    assert response.status_code == 400
    problems = {(p.row, p.field) for p in response.context["reading"].problems}
    assert problems == {
        (3, "email"),  # the same address as row 2
        (4, "team"),  # unknown team
        (5, "role"),  # unknown role
        (6, "language"),
        (7, "lead"),  # leads a team they are not in
        (8, "team"),  # an employee needs a team
        (9, "name"),
        (9, "email"),
        (10, "email"),  # another organisation's person
    }
    page = response.content.decode()
    assert "Nothing was imported" in page and "also on row 2" in page
    assert User.objects.count() == before
    assert not PeopleImport.objects.exists()


def test_missing_and_unknown_columns_are_reported_on_the_header_row(org):
    reading = read_people(
        org.organisation,
        csv("name,email,team,shoe size\nA,a@x.example,alpha,42"),
        "p.csv",
        editor=org.manager,
    )
    assert {(p.row, p.field) for p in reading.problems} == {
        (1, "role"),
        (1, "language"),
        (1, "shoe size"),
    }


def test_hr_imports_people_but_never_gives_or_changes_a_management_role(org):
    data = csv(
        f"""
name,email,team,role,language
New Boss,boss@acme.example,alpha,management,
Old Boss,{org.manager.email.upper()},alpha,employee,
Fine,fine@acme.example,alpha,hr,
"""
    )
    reading = read_people(org.organisation, data, "p.csv", editor=org.hr)
    assert {(p.row, p.field) for p in reading.problems} == {(2, "role"), (3, "role")}
    assert not read_people(org.organisation, data, "p.csv", editor=org.manager).problem_count


def test_a_preview_is_not_applied_when_people_changed_since(client, org):
    client.force_login(org.manager)
    upload(
        client,
        csv("name,email,team,role,language\nAnn,ann@acme.example,alpha,employee,"),
        name="p.csv",
    )
    preview = PeopleImport.objects.get()
    UserFactory(
        username="ann@acme.example",
        email="ann@acme.example",
        first_name="Ann",
        last_name="",
        organisation=org.organisation,
        teams=[org.team_b],
    )
    response = client.post(reverse("organisations:people_import_detail", args=[preview.pk]))
    assert response.status_code == 302
    preview.refresh_from_db()
    assert preview.applied_at is None
    assert [change["field"] for change in preview.changes] == ["teams"]
    assert User.objects.get(username="ann@acme.example").memberships.get().team == org.team_b


def test_applying_twice_applies_once(client, org):
    client.force_login(org.manager)
    upload(
        client,
        csv("name,email,team,role,language\nAnn,ann@acme.example,alpha,employee,"),
        name="p.csv",
    )
    preview = PeopleImport.objects.get()
    url = reverse("organisations:people_import_detail", args=[preview.pk])
    client.post(url)
    client.post(url)
    assert User.objects.filter(username="ann@acme.example").count() == 1
    preview.refresh_from_db()
    assert preview.applied_at is not None and preview.content in (b"", memoryview(b""))


def test_a_reimport_brings_a_leaver_back_and_says_so(org):
    org.employee.is_active = False
    org.employee.save()
    row = f"{org.employee.get_full_name()},{org.employee.email},alpha,employee,"
    data = csv("name,email,team,role,language\n" + row)
    reading = read_people(org.organisation, data, "p.csv", editor=org.manager)
    assert [change.field for change in plan(org.organisation, reading.rows)] == ["returns"]
    apply(org.organisation, reading.rows)
    org.employee.refresh_from_db()
    assert org.employee.is_active
