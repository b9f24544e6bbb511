"""Capture's pages: the public survey, survey links, complaints logged by hand, themes, imports."""

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.survey, name="survey"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey_thanks"),
    path("i/<str:token>/", views.invitation, name="invitation"),
    path("i/<str:token>/stop/", views.invitation_stop, name="invitation_stop"),
    path("teams/<slug:slug>/links/", views.survey_links, name="survey_links"),
    path("teams/<slug:slug>/links/new/", views.survey_link_create, name="survey_link_create"),
    path("links/<int:pk>/pause/", views.survey_link_pause, name="survey_link_pause"),
    path("links/<int:pk>/revoke/", views.survey_link_revoke, name="survey_link_revoke"),
    path("links/<int:pk>/qr.svg", views.survey_link_qr, {"fmt": "svg"}, name="survey_link_qr_svg"),
    path("links/<int:pk>/qr.png", views.survey_link_qr, {"fmt": "png"}, name="survey_link_qr_png"),
    path("teams/<slug:slug>/complaints/new/", views.complaint_create, name="complaint_create"),
    path("themes/", views.themes, name="themes"),
    path("themes/<int:pk>/", views.theme_edit, name="theme_edit"),
    path("themes/<int:pk>/delete/", views.theme_delete, name="theme_delete"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
