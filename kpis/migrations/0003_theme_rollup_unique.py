"""Theme rollups get the unique keys that make a second row for one key impossible. Rows that
a rebuild beside an incremental update doubled before this are removed but for the newest;
``rebuild_rollups`` afterwards puts their counts right."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("kpis", "0002_invitations"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            """
            DELETE FROM kpis_themerollup WHERE id NOT IN (
                SELECT MAX(id) FROM kpis_themerollup
                GROUP BY organisation_id, COALESCE(team_id, 0), theme_id, kind, period_start
            )
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="themerollup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team__isnull", False)),
                fields=("team", "theme", "kind", "period_start"),
                name="theme_rollup_team_period_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="themerollup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team__isnull", True)),
                fields=("organisation", "theme", "kind", "period_start"),
                name="theme_rollup_organisation_period_unique",
            ),
        ),
    ]
