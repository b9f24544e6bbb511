from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followups"
    verbose_name = _("Follow-ups")

    def ready(self):
        from feedback.signals import marked_dirty
        from followups import receivers
        from organisations import signals

        marked_dirty.connect(receivers.open_new_followups, dispatch_uid="followups-open")
        # A leaver's open follow-ups go back to the team's lead.
        signals.person_left.connect(receivers.person_left, dispatch_uid="followups-person-left")
