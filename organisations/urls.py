"""The organisation's own pages: people, integration tokens, its settings, and a person's own."""

from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    path("people/", views.people, name="people"),
    path("account/", views.account, name="account"),
    path("organisation/", views.organisation_settings, name="organisation_settings"),
    path("integrations/", views.tokens, name="tokens"),
    path("integrations/new/", views.token_create, name="token_create"),
    path("integrations/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("integrations/webhooks/", views.webhook_list, name="webhooks"),
    path("integrations/webhooks/new/", views.webhook_create, name="webhook_create"),
    path("integrations/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("integrations/webhooks/<int:pk>/pause/", views.webhook_pause, name="webhook_pause"),
    path("integrations/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
]
