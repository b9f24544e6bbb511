"""Follow-ups of unhappy customers."""

from django.urls import path

from followups import views

app_name = "followups"

urlpatterns = [
    path("followups/", views.followup_list, name="list"),
    path("followups/<int:pk>/", views.followup_detail, name="detail"),
    path("followups/<int:pk>/contacted/", views.followup_contacted, name="contacted"),
    path("followups/<int:pk>/close/", views.followup_close, name="close"),
    path("followups/<int:pk>/owner/", views.followup_owner, name="owner"),
]
