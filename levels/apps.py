from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LevelsConfig(AppConfig):
    name = "levels"
    verbose_name = _("Seven levels")

    def ready(self):
        from levels import receivers  # noqa: F401 - connects the plan to the ground floor
