"""Organisation pages: team pages, the board, people, integration tokens; the change programme
with its plan, targets and updates."""

from django.urls import path

from programmes import programme_views, views

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
    # The change programme
    path("programme/", programme_views.programme, name="programme"),
    path("programme/new/", programme_views.programme_create, name="programme_create"),
    path("programme/<int:pk>/", programme_views.programme_detail, name="programme_detail"),
    path("programme/<int:pk>/edit/", programme_views.programme_edit, name="programme_edit"),
    path("programme/<int:pk>/needs/", programme_views.needs_edit, name="needs_edit"),
    path("programme/<int:pk>/diagnosis/", programme_views.diagnosis, name="diagnosis"),
    path("programme/<int:pk>/items/new/", programme_views.item_create, name="item_create"),
    path("programme/items/<int:pk>/", programme_views.item_detail, name="item_detail"),
    path("programme/items/<int:pk>/edit/", programme_views.item_edit, name="item_edit"),
    path("programme/items/<int:pk>/delete/", programme_views.item_delete, name="item_delete"),
    path("targets/", programme_views.target_list, name="targets"),
    path("targets/new/", programme_views.target_create, name="target_create"),
    path("targets/check/", programme_views.target_check, name="target_check"),
    path("targets/<int:pk>/edit/", programme_views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", programme_views.target_delete, name="target_delete"),
    path("updates/", programme_views.update_list, name="updates"),
    path("updates/new/", programme_views.update_create, name="update_create"),
    path("updates/<int:pk>/delete/", programme_views.update_delete, name="update_delete"),
]
