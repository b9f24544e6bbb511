"""The change programme's own pages: a programme and its needs, targets, updates."""

from django.urls import path

from programmes import views

app_name = "programmes"

urlpatterns = [
    path("programme/new/", views.programme_create, name="programme_create"),
    path("programme/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programme/<int:pk>/needs/", views.needs_edit, name="needs_edit"),
    path("targets/", views.target_list, name="targets"),
    path("targets/new/", views.target_create, name="target_create"),
    path("targets/check/", views.target_check, name="target_check"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("updates/", views.update_list, name="updates"),
    path("updates/new/", views.update_create, name="update_create"),
    path("updates/<int:pk>/delete/", views.update_delete, name="update_delete"),
]
