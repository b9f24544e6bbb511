"""The programme pages: everybody reads the programme, needs, plan and diagnosis; only
management edits them, inline with htmx or as plain forms; updates reach the right people."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from levels.models import PlanItem
from programmes.models import NeedStatement, Programme, Target, Update
from tests.factories import UserFactory


@pytest.fixture
def programme(org):
    return Programme.objects.create(
        organisation=org.organisation,
        name="Right first time",
        vision="Customers call us once.",
        mission="We sort things out without fuss.",
        why="Error reports from 10% to 5%.",
        urgency_competitors="Web shops answer within the hour.",
        starts_on=dt.date(2026, 1, 1),
        is_current=True,
    )


@pytest.fixture
def plan(programme):
    mission = PlanItem.objects.create(programme=programme, level=1, title="Customers come back")
    identity = PlanItem.objects.create(
        programme=programme, level=2, title="We get it right", serves=mission
    )
    values = PlanItem.objects.create(
        programme=programme, level=3, title="Reporting errors is learning", serves=identity
    )
    return {"mission": mission, "identity": identity, "values": values}


def test_every_employee_reads_the_programme_its_needs_and_the_plan(login, org, programme, plan):
    NeedStatement.objects.create(
        programme=programme, need="identity", statement="The service that gets it right", clarity=3
    )
    page = login(org.employee).get(reverse("dashboards:programme")).content.decode()
    assert "Error reports from 10% to 5%." in page and "Web shops answer within the hour." in page
    assert "The service that gets it right" in page and "Not stated yet." in page
    assert "Reporting errors is learning" in page
    assert reverse("dashboards:item_edit", args=[plan["values"].pk]) not in page
    assert reverse("programmes:programme_edit", args=[programme.pk]) not in page


def test_the_ladder_shows_each_items_chain_up_to_the_mission(login, org, programme, plan):
    page = login(org.employee).get(reverse("dashboards:programme")).content.decode()
    item = page.split(f'id="item-{plan["values"].pk}"')[1].split("</li>\n")[0]
    assert f'href="#item-{plan["identity"].pk}"' in item
    assert f'href="#item-{plan["mission"].pk}"' in item


def test_without_a_programme_management_is_invited_to_start_one(login, org):
    page = login(org.manager).get(reverse("dashboards:programme")).content.decode()
    assert "There is no current programme yet" in page
    assert reverse("programmes:programme_create") in page
    assert (
        reverse("programmes:programme_create")
        not in login(org.employee).get(reverse("dashboards:programme")).content.decode()
    )


def test_management_starts_a_programme_that_becomes_the_current_one(login, org, programme):
    client = login(org.manager)
    response = client.post(
        reverse("programmes:programme_create"),
        {
            "name": "Next",
            "why": "NPS +8",
            "vision": "v",
            "mission": "m",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "status": "draft",
            "make_current": "on",
        },
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert not programme.is_current
    assert Programme.objects.get(is_current=True).name == "Next"


def test_a_programme_cannot_end_before_it_starts(login, org):
    response = login(org.manager).post(
        reverse("programmes:programme_create"),
        {
            "name": "x",
            "why": "w",
            "vision": "v",
            "mission": "m",
            "starts_on": "2027-01-01",
            "ends_on": "2026-01-01",
            "status": "draft",
        },
    )
    assert (
        response.status_code == 400
        and "The end lies before the start." in response.content.decode()
    )


@pytest.mark.parametrize("person", ["hr", "lead", "employee"])
def test_only_management_edits_the_programme_needs_and_plan(login, org, programme, plan, person):
    client = login(getattr(org, person))
    assert (
        client.post(reverse("programmes:programme_edit", args=[programme.pk]), {}).status_code
        == 403
    )
    assert client.post(reverse("programmes:needs_edit", args=[programme.pk]), {}).status_code == 403
    create = reverse("dashboards:item_create", args=[programme.pk])
    assert client.post(create, {"level": 1, "title": "x", "status": "planned"}).status_code == 403
    edit = reverse("dashboards:item_edit", args=[plan["values"].pk])
    assert client.post(edit, {"title": "changed", "status": "done"}).status_code == 403
    delete = reverse("dashboards:item_delete", args=[plan["values"].pk])
    assert client.post(delete).status_code == 403
    assert PlanItem.objects.count() == 3
    assert PlanItem.objects.get(pk=plan["values"].pk).title == "Reporting errors is learning"


def test_management_states_the_needs_and_how_clearly(login, org, programme):
    data = {
        f"{need}_statement": ""
        for need in ("identity", "purpose", "direction", "structure", "energy", "expression")
    }
    data |= {
        f"{need}_clarity": "0"
        for need in ("identity", "purpose", "direction", "structure", "energy", "expression")
    }
    client = login(org.manager)
    url = reverse("programmes:needs_edit", args=[programme.pk])
    bad = client.post(url, data | {"purpose_clarity": "3"})
    assert bad.status_code == 400 and "write the statement first" in bad.content.decode()
    good = client.post(url, data | {"purpose_statement": "We help", "purpose_clarity": "2"})
    assert good.status_code == 302
    assert NeedStatement.objects.get(need="purpose").clarity == 2
    assert NeedStatement.objects.count() == 6


def item_data(**extra):
    return {"title": "Weekly feedback talk", "status": "planned", "description": ""} | extra


def test_management_adds_an_item_inline_and_gets_the_ladder_back(login, org, programme, plan):
    client = login(org.manager)
    url = reverse("dashboards:item_create", args=[programme.pk])
    form = client.get(url, {"level": 4}, headers={"hx-request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode()
    response = client.post(
        url,
        item_data(level=4, serves=plan["values"].pk, effort_hours="12.5"),
        headers={"hx-request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<div id="plan-ladder"')
    assert 'id="diagnosis-summary"' in page and 'hx-swap-oob="true"' in page
    item = PlanItem.objects.get(level=4)
    assert item.serves == plan["values"] and item.effort_hours == 12.5
    assert response["Vary"].count("HX-Request") == 1


def test_an_item_must_serve_an_item_exactly_one_level_up(login, org, programme, plan):
    client = login(org.manager)
    url = reverse("dashboards:item_create", args=[programme.pk])
    response = client.post(
        url, item_data(level=4, serves=plan["identity"].pk), headers={"hx-request": "true"}
    )
    assert response.status_code == 200  # htmx swaps in only successful answers
    assert response["HX-Retarget"] == "#new-item-4"
    assert "Select a valid choice" in response.content.decode()
    assert not PlanItem.objects.filter(level=4).exists()


def test_an_item_of_another_programme_cannot_be_served(login, org, programme, plan):
    other = Programme.objects.create(
        organisation=org.organisation,
        name="Old",
        vision="v",
        mission="m",
        why="w",
        starts_on=dt.date(2024, 1, 1),
    )
    foreign = PlanItem.objects.create(programme=other, level=3, title="Old value")
    url = reverse("dashboards:item_create", args=[programme.pk])
    response = login(org.manager).post(url, item_data(level=4, serves=foreign.pk))
    assert response.status_code == 400


def test_management_edits_an_item_inline_and_errors_stay_with_the_item(login, org, programme, plan):
    client = login(org.manager)
    url = reverse("dashboards:item_edit", args=[plan["values"].pk])
    form = client.get(url, headers={"hx-request": "true"}).content.decode()
    assert 'hx-post="' + url in form and "<html" not in form
    bad = client.post(
        url, item_data(title="", serves=plan["identity"].pk), headers={"hx-request": "true"}
    )
    assert bad.status_code == 200 and bad["HX-Retarget"] == f"#item-{plan['values'].pk}"
    good = client.post(
        url,
        item_data(title="Errors are for learning", serves=plan["identity"].pk, status="done"),
        headers={"hx-request": "true"},
    )
    assert good.status_code == 200 and "Errors are for learning" in good.content.decode()
    # Without JavaScript the same form posts and comes back to the page.
    plain = client.post(url, item_data(title="Plain", serves=plan["identity"].pk))
    assert plain.status_code == 302 and plain["Location"].endswith("#plan-heading")


def test_deleting_an_item_leaves_what_served_it_serving_nothing(login, org, programme, plan):
    client = login(org.manager)
    client.post(reverse("dashboards:item_delete", args=[plan["identity"].pk]))
    plan["values"].refresh_from_db()
    assert plan["values"].serves is None
    page = client.get(reverse("dashboards:diagnosis", args=[programme.pk])).content.decode()
    assert "Identity is worked while" not in page
    assert "Values and beliefs is worked while Identity is still empty" in page


def test_the_diagnosis_shows_findings_with_fixes_and_the_effort_chart(login, org, programme, plan):
    PlanItem.objects.create(programme=programme, level=3, title="Stray value", effort_hours=5)
    Target.objects.create(
        organisation=org.organisation,
        programme=programme,
        metric="nps",
        baseline_start="2026-08-01",
        goal_kind="change",
        goal_amount=8,
        due_on="2026-12-31",
    )
    page = (
        login(org.employee)
        .get(reverse("dashboards:diagnosis", args=[programme.pk]))
        .content.decode()
    )
    assert "“Stray value” serves nothing above it" in page
    assert "A target has no plan item behind it" in page
    assert page.count("How to fix it:") == 2
    assert '<meter class="effort-bar"' in page and "Effort by level" in page


def test_a_coherent_plan_gets_a_clean_diagnosis(login, org, programme, plan):
    page = (
        login(org.manager)
        .get(reverse("dashboards:diagnosis", args=[programme.pk]))
        .content.decode()
    )
    assert "Nothing to fix" in page


def test_the_programme_page_takes_the_same_queries_with_a_bigger_plan(
    login, org, programme, plan, django_assert_max_num_queries
):
    client = login(org.manager)
    for index in range(30):
        PlanItem.objects.create(
            programme=programme, level=4, title=f"c{index}", serves=plan["values"], owner=org.lead
        )
    # 14, and three for management's own follow-through (dashboards/management_record.py).
    with django_assert_max_num_queries(17):
        assert client.get(reverse("dashboards:programme")).status_code == 200


def test_another_organisation_sees_nothing_of_our_programme(login, org, programme, plan):
    client = login(org.other_manager)
    page = client.get(reverse("dashboards:programme")).content.decode()
    assert "Right first time" not in page
    assert (
        client.get(reverse("dashboards:programme_detail", args=[programme.pk])).status_code == 404
    )
    assert client.get(reverse("dashboards:item_edit", args=[plan["values"].pk])).status_code == 404


# --- Updates ---


def publish(client, **extra):
    data = {"kind": "results", "title": "Errors are down", "body": "Thank you all."} | extra
    return client.post(reverse("programmes:update_create"), data)


def test_an_update_for_everybody_shows_on_every_home_page(login, org):
    assert publish(login(org.manager)).status_code == 302
    for person in ("manager", "hr", "lead", "employee", "employee_b"):
        page = login(getattr(org, person)).get(reverse("home")).content.decode()
        assert "Errors are down" in page, person
    assert "Errors are down" not in login(org.other_employee).get(reverse("home")).content.decode()


def test_an_update_for_some_teams_reaches_only_them(login, org):
    publish(login(org.manager), title="Alpha only", teams=[org.team_a.pk])
    assert "Alpha only" in login(org.employee).get(reverse("programmes:updates")).content.decode()
    assert (
        "Alpha only"
        not in login(org.employee_b).get(reverse("programmes:updates")).content.decode()
    )
    assert "Alpha only" in login(org.manager).get(reverse("programmes:updates")).content.decode()


def test_only_management_publishes_updates(login, org):
    for person in ("hr", "lead", "employee"):
        assert publish(login(getattr(org, person))).status_code == 403
    assert not Update.objects.exists()


def test_an_update_by_e_mail_reaches_each_recipient_in_their_own_language(
    login, org, django_capture_on_commit_callbacks
):
    org.employee.language = "nl"
    org.employee.save()
    org.lead.language = "en"
    org.lead.save()
    UserFactory(organisation=org.organisation, teams=[org.team_a], email="")  # no address
    client = login(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client, title="Alpha news", teams=[org.team_a.pk], send_email="on")
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {org.lead.email, org.employee.email}
    assert "Hallo" in by_address[org.employee.email].body
    assert "Hello" in by_address[org.lead.email].body
    assert by_address[org.employee.email].subject == "Acme: Alpha news"


def test_an_update_is_e_mailed_once_even_if_the_task_runs_twice(org):
    from programmes.tasks import send_update_emails

    update = Update.objects.create(
        organisation=org.organisation, kind="plans", title="Plans", body="b", send_email=True
    )
    assert send_update_emails(update.pk) == 5  # everybody in Acme with an address
    assert send_update_emails(update.pk) == 0
    assert len(mail.outbox) == 5


def test_home_page_query_count_does_not_grow_with_updates(
    login, org, django_assert_max_num_queries
):
    for index in range(10):
        update = Update.objects.create(
            organisation=org.organisation, kind="plans", title=f"u{index}", body="b"
        )
        update.teams.set([org.team_a])
    client = login(org.employee)
    # 12, one for the customers waiting for a call (follow-ups), and three for what needs the
    # employee (dashboards/needs_me.py: the team's figures this month and the unread comments).
    with django_assert_max_num_queries(16):
        assert client.get(reverse("home")).status_code == 200


# --- Both languages ---

PAGES = [
    ("manager", "dashboards:programme", None),
    ("manager", "dashboards:diagnosis", "programme"),
    ("manager", "programmes:programme_edit", "programme"),
    ("manager", "programmes:needs_edit", "programme"),
    ("manager", "dashboards:item_edit", "item"),
    ("employee", "programmes:targets", None),
    ("lead", "programmes:target_create", None),
    ("manager", "programmes:updates", None),
    ("manager", "programmes:update_create", None),
]


@pytest.mark.parametrize(("role", "url_name", "arg"), PAGES)
def test_dutch_programme_pages_have_no_english_left(org, programme, plan, role, url_name, arg):
    from tests.test_config_translations import english_strings

    Target.objects.create(
        organisation=org.organisation,
        programme=programme,
        team=org.team_a,
        metric="nps",
        baseline_start="2026-08-01",
        goal_kind="change",
        goal_amount=8,
        due_on="2026-12-31",
    )
    Update.objects.create(organisation=org.organisation, kind="plans", title="t", body="b")
    args = {None: [], "programme": [programme.pk], "item": [plan["values"].pk]}[arg]
    client = Client(headers={"accept-language": "nl"})
    client.force_login(getattr(org, role))
    page = client.get(reverse(url_name, args=args)).content.decode()
    assert '<html lang="nl">' in page
    left = [s for s in english_strings() if s in page or s.replace('"', "&quot;") in page]
    assert left == []


def test_an_empty_plan_is_diagnosed_as_empty_not_coherent(login, org, programme):
    client = login(org.manager)
    page = client.get(reverse("dashboards:programme")).content.decode()
    assert "The plan is empty" in page and "finds the plan coherent" not in page
    diagnosis = client.get(reverse("dashboards:diagnosis", args=[programme.pk])).content.decode()
    assert "The plan is empty" in diagnosis and "Nothing to fix" not in diagnosis


@pytest.mark.parametrize("status", ["completed", "stopped"])
def test_a_finished_programme_is_read_only(login, org, programme, plan, status):
    Programme.objects.filter(pk=programme.pk).update(status=status)
    client = login(org.manager)
    page = client.get(reverse("dashboards:programme")).content.decode()
    assert "can no longer be changed" in page
    assert reverse("dashboards:item_edit", args=[plan["values"].pk]) not in page
    assert reverse("dashboards:item_create", args=[programme.pk]) not in page
    assert reverse("programmes:needs_edit", args=[programme.pk]) not in page
    # The programme itself can still be edited, to set it running again.
    assert reverse("programmes:programme_edit", args=[programme.pk]) in page
    create = reverse("dashboards:item_create", args=[programme.pk])
    assert client.get(create, {"level": 4}).status_code == 403
    assert client.post(create, item_data(level=4)).status_code == 403
    edit = reverse("dashboards:item_edit", args=[plan["values"].pk])
    assert client.post(edit, item_data(title="changed")).status_code == 403
    delete = reverse("dashboards:item_delete", args=[plan["values"].pk])
    assert client.post(delete).status_code == 403
    assert client.post(reverse("programmes:needs_edit", args=[programme.pk]), {}).status_code == 403
    assert PlanItem.objects.count() == 3
    assert PlanItem.objects.get(pk=plan["values"].pk).title == "Reporting errors is learning"


def test_the_item_pages_of_their_own_post_as_plain_forms(login, org, programme, plan):
    client = login(org.manager)
    create = reverse("dashboards:item_create", args=[programme.pk])
    page = client.get(create, {"level": 4}).content.decode()
    assert f'action="{create}"' in page and "hx-post" not in page and "hx-target" not in page
    edit = reverse("dashboards:item_edit", args=[plan["values"].pk])
    page = client.get(edit).content.decode()
    assert f'action="{edit}"' in page and "hx-post" not in page and "hx-get" not in page
