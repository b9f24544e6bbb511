from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Organisations and programmes")

    def ready(self):
        from programmes import login_throttling  # noqa: F401 - connects its signal receiver
