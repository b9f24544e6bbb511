"""The KPI engine's cache of the raw rows: counts per scope (a team, or the whole organisation)
and period. ``rebuild_rollups`` can always recompute every row; nothing outside ``kpis``
reads these tables."""

import uuid

from django.db import models
from django.db.models import Q

from feedback.models import Theme
from organisations.models import Organisation, Team


class Rollup(models.Model):
    """The counts behind every KPI for one team (or, with no team, the whole organisation)
    and one period. A cache of the raw rows: ``rebuild_rollups`` can always recompute it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8)
    period_start = models.DateField()
    responses = models.PositiveIntegerField(default=0)  # with a score
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)  # distinct, with an interaction
    returning_customers = models.PositiveIntegerField(default=0)
    invitations = models.PositiveIntegerField(default=0)  # links made, e-mails sent
    answered = models.PositiveIntegerField(default=0)  # of those, answered
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "period_start"],
                condition=Q(team__isnull=False),
                name="rollup_team_period_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "period_start"],
                condition=Q(team__isnull=True),
                name="rollup_organisation_period_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "kind", "period_start"], name="rollup_org_period")
        ]

    def __str__(self):
        return f"{self.team or self.organisation} · {self.kind} {self.period_start}"


class ThemeRollup(models.Model):
    """How often a theme came up in a scope and period, and how often among detractors."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    period_start = models.DateField()
    mentions = models.PositiveIntegerField(default=0)
    detractor_mentions = models.PositiveIntegerField(default=0)

    class Meta:
        # A rebuild and an incremental update both write these rows; a second row for the same
        # key would be counted twice, so the database refuses one.
        constraints = [
            models.UniqueConstraint(
                fields=["team", "theme", "kind", "period_start"],
                condition=Q(team__isnull=False),
                name="theme_rollup_team_period_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "theme", "kind", "period_start"],
                condition=Q(team__isnull=True),
                name="theme_rollup_organisation_period_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "team", "kind", "period_start"], name="theme_rollup_scope"
            )
        ]

    def __str__(self):
        return f"{self.theme} · {self.kind} {self.period_start}"


class DailyCustomers(models.Model):
    """The customers a team (or, with no team, the whole organisation) served on one local day,
    as the building block of distinct and returning customers over longer periods.

    A customer counts in a week, month or quarter on the first day they were served in it, and
    is returning there if they were served on an earlier day before it began. So each period's
    figures are the sums of its days' rows, and one new interaction changes only its own day
    and the customer's next day with a visit. Like the rollups, a cache of the raw rows.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    customers = models.PositiveIntegerField(default=0)
    returning_customers = models.PositiveIntegerField(default=0)
    first_in_week = models.PositiveIntegerField(default=0)
    returning_in_week = models.PositiveIntegerField(default=0)
    first_in_month = models.PositiveIntegerField(default=0)
    returning_in_month = models.PositiveIntegerField(default=0)
    first_in_quarter = models.PositiveIntegerField(default=0)
    returning_in_quarter = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day"],
                condition=Q(team__isnull=False),
                name="daily_customers_team_day_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "day"],
                condition=Q(team__isnull=True),
                name="daily_customers_organisation_day_unique",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "day"], name="daily_customers_org_day")]

    def __str__(self):
        return f"{self.team or self.organisation} · {self.day}"


class RollupVersion(models.Model):
    """How often the organisation's rollups have been written: every write of them adds one,
    in its own transaction (``kpis.versions``). A cache of anything made from the rollups is
    keyed by it, so it can never outlive a change of the figures."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    generation = models.BigIntegerField(default=0)
    # Drawn when the row is made: a database made again (and its counts starting over) never
    # meets the keys that an earlier one left in a shared cache.
    epoch = models.UUIDField(default=uuid.uuid4)

    def __str__(self):
        return f"{self.organisation} · rollups {self.generation}"
