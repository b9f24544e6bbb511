from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self):
        from feedback import receivers  # noqa: F401 - connects capture to the ground floor
