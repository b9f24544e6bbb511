"""Addresses of the whole site; each app's own pages are in its urls.py."""

from django.contrib import admin
from django.urls import include, path

from config import health
from config.api import api
from dashboards.views import home
from organisations import people_views, sso_views
from organisations import views as organisation_views

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("organisations.urls")),
    path("", include("feedback.urls")),
    path("", include("programmes.urls")),
    path("", include("alignment.urls")),
    path("", include("ideas.urls")),
    path("", include("followups.urls")),
    path("", include("dashboards.urls")),
    path("api/v1/", api.urls),
    path("accounts/login/", organisation_views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        organisation_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path(
        "accounts/welcome/<uidb64>/<token>/",
        people_views.welcome_page,
        name="welcome",
    ),
    path("accounts/sso/", sso_views.StartView.as_view(), name="sso_start"),
    path("accounts/sso/callback/", sso_views.CallbackView.as_view(), name="sso_callback"),
    path("i18n/setlang/", organisation_views.set_language, name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
