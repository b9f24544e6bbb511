"""The organisation's own pages: people, integration tokens, its settings, and a person's own."""

from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    path("people/", views.people, name="people"),
    path("account/", views.account, name="account"),
    path("organisation/", views.organisation_settings, name="organisation_settings"),
    path("organisation/audit/", views.audit_log, name="audit_log"),
    path("integrations/", views.tokens, name="tokens"),
    path("integrations/new/", views.token_create, name="token_create"),
    path("integrations/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
