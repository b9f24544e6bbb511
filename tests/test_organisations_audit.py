"""The audit log: who changed people, roles, teams, settings and tokens, who opened and closed
surveys and who exported comments; append-only in the application and in PostgreSQL itself."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from organisations.models import AuditEntry, IntegrationToken, Membership
from tests.alignment_data import values
from tests.test_organisations_people import person_data


def actions(org):
    return list(
        AuditEntry.objects.in_organisation(org.organisation)
        .order_by("at", "pk")
        .values_list("action", "subject")
    )


def test_tokens_and_settings_are_recorded_with_who_and_what(login, org):
    client = login(org.manager)
    client.post(reverse("organisations:token_create"), {"name": "Webshop"})
    token = IntegrationToken.objects.get(name="Webshop")
    client.post(reverse("organisations:token_revoke", args=[token.pk]))
    organisation = org.organisation
    client.post(
        reverse("organisations:organisation_settings"),
        {
            "name": organisation.name,
            "time_zone": organisation.time_zone,
            "min_responses": organisation.min_responses,
            "min_group_size": 6,
            "min_comment_group_size": organisation.min_comment_group_size,
            "contact_retention_days": organisation.contact_retention_days,
            "idea_voting": "organisation",
        },
    )
    assert actions(org) == [
        ("token.created", "Webshop"),
        ("token.revoked", "Webshop"),
        ("settings.changed", organisation.name),
    ]
    settings_entry = AuditEntry.objects.get(action="settings.changed")
    assert settings_entry.actor_id == org.manager.pk
    assert settings_entry.details["changes"] == {
        "min_group_size": ["5", "6"],
        "idea_voting": ["team", "organisation"],
    }


def test_surveys_and_comment_exports_are_recorded(login, org):
    values(org.organisation, "Openness")
    hr = login(org.hr)
    hr.post(
        reverse("alignment:survey_create"),
        {"title": "Round 1", "opens_on": "2026-01-01", "closes_on": "2099-01-01"},
    )
    survey_pk = AuditEntry.objects.get(action="survey.opened").organisation_id and (
        org.organisation.alignment_surveys.get().pk
    )
    hr.post(reverse("alignment:survey_close", args=[survey_pk]))
    employee = login(org.employee)
    employee.get(reverse("dashboards:team_export", args=[org.team_a.slug, "comments", "csv"]))
    employee.get(reverse("dashboards:team_export", args=[org.team_a.slug, "kpis", "csv"]))
    assert actions(org) == [
        ("survey.opened", "Round 1"),
        ("survey.closed", "Round 1"),
        ("comments.exported", org.team_a.name),
    ]


def test_changes_in_the_admin_to_people_roles_and_teams_are_recorded(client, org, admin_user):
    client.force_login(admin_user)
    employee = org.employee
    response = client.post(
        reverse("admin:organisations_user_change", args=[employee.pk]),
        {
            "username": employee.username,
            "first_name": employee.first_name,
            "last_name": employee.last_name,
            "email": employee.email,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "organisation": org.organisation.pk,
            "role": "hr",
            "language": employee.language,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    team = org.team_c
    Membership.objects.filter(team=team).delete()
    response = client.post(
        reverse("admin:organisations_team_change", args=[team.pk]),
        {
            "organisation": team.organisation_id,
            "name": "Gamma renamed",
            "slug": team.slug,
            "department": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": org.employee_b.pk,
            "memberships-0-is_lead": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    recorded = [action for action, _subject in actions(org)]
    assert recorded == ["person.changed", "role.changed", "team.changed", "membership.added"]
    role = AuditEntry.objects.get(action="role.changed")
    assert role.details["changes"]["role"][1] == "hr"
    assert role.actor_id == admin_user.pk


def test_only_management_reads_the_log(login, org):
    login(org.manager).post(reverse("organisations:token_create"), {"name": "CRM"})
    page = login(org.manager).get(reverse("organisations:audit_log"))
    assert page.status_code == 200
    assert "integration token created" in page.content.decode()
    assert login(org.hr).get(reverse("organisations:audit_log")).status_code == 403


def test_the_log_is_append_only_in_the_application_and_in_postgresql(org):
    entry = AuditEntry.objects.create(organisation=org.organisation, action="token.created")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        entry.delete()
    entry.subject = "changed"
    with pytest.raises(TypeError):
        entry.save()
    if connection.vendor != "postgresql":
        return
    for statement in (
        "UPDATE organisations_auditentry SET subject = 'x' WHERE id = %s",
        "DELETE FROM organisations_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).subject == ""


def test_people_teams_and_webhooks_changed_in_the_app_are_recorded(login, org, settings):
    """The pages of people, teams and webhooks (not only the admin) write the audit log; a
    forgotten leaver is named by number, not by the name that was asked to go."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    client = login(org.manager)
    client.post(reverse("organisations:person_create"), person_data(org))
    nina = org.organisation.people.get(email="nina@acme.example")
    client.post(
        reverse("organisations:person_edit", args=[nina.pk]),
        person_data(org, role="hr", teams=[org.team_a.pk], leads=[]),
    )
    client.post(reverse("organisations:person_leave", args=[nina.pk]))
    client.post(reverse("organisations:person_forget", args=[nina.pk]))
    client.post(reverse("organisations:department_create"), {"name": "Sales", "slug": "sales"})
    client.post(reverse("organisations:team_create"), {"name": "Shop", "slug": "shop"})
    client.post(
        reverse("organisations:webhook_create"),
        {"url": "http://127.0.0.1:9/hook", "events": ["followup.opened"]},
    )
    recorded = actions(org)
    assert recorded[:4] == [
        ("person.added", "Nina Nieuw"),
        ("role.changed", "Nina Nieuw"),
        ("person.left", "Nina Nieuw"),
        ("person.forgotten", f"#{nina.pk}"),
    ]
    assert recorded[4:] == [
        ("department.added", "Sales"),
        ("team.added", "Shop"),
        ("webhook.added", "http://127.0.0.1:9/hook"),
    ]
    role_change = AuditEntry.objects.get(action="role.changed").details["changes"]
    assert role_change["role"] == ["employee", "hr"]
