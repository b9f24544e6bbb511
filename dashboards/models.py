"""What people do with customers' feedback on the dashboards: comments marked read or acted
upon, answers to customers, and the weekly digest sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import Response


class MarkKind(models.TextChoices):
    READ = "read", _("read")
    ACTED = "acted", _("acted upon")


class CommentMark(models.Model):
    """A person marked a customer's comment as read, or as acted upon."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MarkKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "user", "kind"], name="comment_mark_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.kind} · {self.response_id}"


class Reply(models.Model):
    """A team lead's answer to a customer who left a contact address: the loop closed, logged."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("answer"))
    sent_at = models.DateTimeField(null=True, blank=True)  # set by the task that mailed it
    # Failed sends so far; the sweeper gives up after MAX_ATTEMPTS (feedback.replies).
    attempts = models.PositiveSmallIntegerField(default=0)
    # The form's one-time id: a double click or a resubmitted form answers once.
    submission = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer to a customer")
        verbose_name_plural = _("answers to customers")
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.author} → {self.response_id}"


class DigestSent(models.Model):
    """The weekly digest of one week went to one person: sending twice sends once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_a_week")
        ]

    def __str__(self):
        return f"{self.user} · {self.week_start}"


class Praise(models.Model):
    """A promoter's comment passed on to the team or to one colleague: "a customer said this
    about you". Mailed once (``sent_at`` is claimed before sending)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="praise")
    passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Empty: the whole team.
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="praise_received",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "to_person"], name="praise_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(to_person__isnull=True),
                name="praise_once_per_team",
            ),
        ]

    def __str__(self):
        return f"{self.response_id} → {self.to_person or 'team'}"
