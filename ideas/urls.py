"""The team ideas under /ideas/ (DESIGN.md: a stable address)."""

from django.urls import path

from ideas import views

app_name = "ideas"

urlpatterns = [
    path("ideas/", views.idea_list, name="list"),
    path("ideas/new/", views.idea_create, name="create"),
    path("ideas/<int:pk>/", views.idea_detail, name="detail"),
    path("ideas/<int:pk>/vote/", views.idea_vote, name="vote"),
    path("ideas/<int:pk>/comment/", views.idea_comment, name="comment"),
    path("ideas/<int:pk>/move/", views.idea_move, name="move"),
]
