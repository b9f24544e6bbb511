"""The organisation's own pages: people, integration tokens, its settings, and a person's own."""

from django.urls import path

from organisations import people_views, sso_views, views

app_name = "organisations"

urlpatterns = [
    path("people/", people_views.people, name="people"),
    path("people/new/", people_views.person_create, name="person_create"),
    path("people/<int:pk>/", people_views.person_edit, name="person_edit"),
    path("people/<int:pk>/leave/", people_views.person_leave, name="person_leave"),
    path("people/<int:pk>/forget/", people_views.person_forget, name="person_forget"),
    path("people/<int:pk>/welcome/", people_views.person_welcome, name="person_welcome"),
    path("people/welcome/", people_views.welcome_not_joined, name="welcome_not_joined"),
    path("people/import/", people_views.people_import, name="people_import"),
    path("people/import/<int:pk>/", people_views.people_import_detail, name="people_import_detail"),
    path("organisation/teams/", people_views.teams, name="teams"),
    path("organisation/teams/new/", people_views.team_create, name="team_create"),
    path("organisation/teams/<int:pk>/", people_views.team_edit, name="team_edit"),
    path("organisation/departments/new/", people_views.department_create, name="department_create"),
    path(
        "organisation/departments/<int:pk>/", people_views.department_edit, name="department_edit"
    ),
    path("account/", views.account, name="account"),
    path("organisation/", views.organisation_settings, name="organisation_settings"),
    path("organisation/sso/", sso_views.single_sign_on, name="single_sign_on"),
    path("organisation/audit/", views.audit_log, name="audit_log"),
    path("integrations/", views.tokens, name="tokens"),
    path("integrations/new/", views.token_create, name="token_create"),
    path("integrations/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("integrations/webhooks/", views.webhook_list, name="webhooks"),
    path("integrations/webhooks/new/", views.webhook_create, name="webhook_create"),
    path("integrations/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("integrations/webhooks/<int:pk>/pause/", views.webhook_pause, name="webhook_pause"),
    path("integrations/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
]
