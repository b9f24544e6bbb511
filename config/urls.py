"""Addresses of the whole site; each app's own pages are in its urls.py."""

from django.contrib import admin
from django.urls import include, path

from config import health
from feedback.api import api
from programmes import views as programme_views

urlpatterns = [
    path("", programme_views.home, name="home"),
    path("", include("programmes.urls")),
    path("", include("feedback.urls")),
    path("", include("levels.urls")),
    path("", include("ideas.urls")),
    path("api/v1/", api.urls),
    path("accounts/login/", programme_views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        programme_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", programme_views.set_language, name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
