"""Pages that combine apps: team pages, the board, the management comparison, the comment
feed's actions, downloads, the digest's opt-out, and the programme with its plan."""

from django.urls import path

from dashboards.views import (
    board,
    comments,
    customers,
    digest,
    exports,
    invitations,
    programme,
    team,
)

app_name = "dashboards"

urlpatterns = [
    path("teams/<slug:slug>/", team.team_detail, name="team_detail"),
    path("teams/<slug:slug>/export/<str:what>.<str:fmt>", exports.team_export, name="team_export"),
    path(
        "teams/<slug:slug>/invitations/",
        invitations.team_invitations,
        name="team_invitations",
    ),
    path("board/", board.board, name="board"),
    path("customers/", customers.customer_data, name="customer_data"),
    path("customers/export/", customers.customer_export, name="customer_export"),
    path("customers/erase/", customers.customer_erase, name="customer_erase"),
    path("board/export.<str:fmt>", exports.board_export, name="board_export"),
    path("compare/", board.compare, name="compare"),
    path("comments/<int:pk>/mark/", comments.comment_mark, name="comment_mark"),
    path("comments/<int:pk>/answer/", comments.comment_reply, name="comment_reply"),
    path("comments/<int:pk>/praise/", comments.comment_praise, name="comment_praise"),
    path("digest/<str:token>/", digest.digest_opt_out, name="digest_opt_out"),
    path("programme/", programme.programme, name="programme"),
    path("programme/<int:pk>/", programme.programme_detail, name="programme_detail"),
    path("programme/<int:pk>/diagnosis/", programme.diagnosis, name="diagnosis"),
    path("programme/<int:pk>/items/new/", programme.item_create, name="item_create"),
    path("programme/items/<int:pk>/", programme.item_detail, name="item_detail"),
    path("programme/items/<int:pk>/edit/", programme.item_edit, name="item_edit"),
    path("programme/items/<int:pk>/delete/", programme.item_delete, name="item_delete"),
]
