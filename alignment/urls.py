"""HR's value and needs alignment under /alignment/."""

from django.urls import path

from alignment import views

app_name = "alignment"

urlpatterns = [
    path("alignment/", views.home, name="home"),
    path("alignment/values/", views.values, name="values"),
    path("alignment/values/<int:pk>/", views.value_edit, name="value_edit"),
    path("alignment/values/<int:pk>/delete/", views.value_delete, name="value_delete"),
    path("alignment/surveys/new/", views.survey_create, name="survey_create"),
    path("alignment/surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("alignment/surveys/<int:pk>/close/", views.survey_close, name="survey_close"),
    path("alignment/surveys/<int:pk>/answer/", views.answer, name="answer"),
    path("alignment/surveys/<int:pk>/results.csv", views.export, name="export"),
]
