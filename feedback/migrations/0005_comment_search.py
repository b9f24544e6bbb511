"""Comment search (issue 20): a stored tsvector of each comment in Dutch and English plus its
team's term, and on PostgreSQL a GIN index on it. Adding the column rewrites the responses
table (a minute or so per million rows)."""

import django.contrib.postgres.search
from django.db import migrations, models

import feedback.search

INDEX = "response_search"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # no full-text search there: searching falls back to a substring match
    schema_editor.execute(f"CREATE INDEX {INDEX} ON feedback_response USING gin (search_vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_neutral_redaction_marks")]

    operations = [
        migrations.AddField(
            model_name="response",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=feedback.search.CommentVector("comment", "team"),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.RunPython(add_index, drop_index, elidable=False),
    ]
