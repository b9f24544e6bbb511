"""Organisation pages: team pages, the board, people, integration tokens."""

from django.urls import path

from programmes import views

app_name = "programmes"

urlpatterns = [
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("board/", views.board, name="board"),
    path("people/", views.people, name="people"),
    path("account/", views.account, name="account"),
    path("organisation/", views.organisation_settings, name="organisation_settings"),
    path("integrations/", views.tokens, name="tokens"),
    path("integrations/new/", views.token_create, name="token_create"),
    path("integrations/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
