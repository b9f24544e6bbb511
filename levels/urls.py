"""The seven levels' pages; HR's value and needs alignment under /alignment/."""

from django.urls import path

from levels import alignment_views

app_name = "levels"

urlpatterns = [
    path("alignment/", alignment_views.home, name="alignment_home"),
    path("alignment/values/", alignment_views.values, name="alignment_values"),
    path("alignment/values/<int:pk>/", alignment_views.value_edit, name="alignment_value_edit"),
    path(
        "alignment/values/<int:pk>/delete/",
        alignment_views.value_delete,
        name="alignment_value_delete",
    ),
    path("alignment/surveys/new/", alignment_views.survey_create, name="alignment_survey_create"),
    path("alignment/surveys/<int:pk>/", alignment_views.survey_detail, name="alignment_survey"),
    path(
        "alignment/surveys/<int:pk>/close/",
        alignment_views.survey_close,
        name="alignment_survey_close",
    ),
    path("alignment/surveys/<int:pk>/answer/", alignment_views.answer, name="alignment_answer"),
    path(
        "alignment/surveys/<int:pk>/results.csv",
        alignment_views.export,
        name="alignment_export",
    ),
]
