from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPI engine")

    def ready(self):
        from kpis import receivers  # noqa: F401 - connects the engine to capture's signals
