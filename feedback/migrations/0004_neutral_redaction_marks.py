"""Redaction markers become neutral (``⟦phone⟧``) and are shown in the reader's language; the
English ones stored so far (``[phone]``) are rewritten. Only rows with a bracket are touched."""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Replace

OLD_TO_NEW = {"[e-mail]": "⟦email⟧", "[phone]": "⟦phone⟧", "[IBAN]": "⟦iban⟧"}


def rewrite(model, field, pairs):
    expression = F(field)
    for old, new in pairs.items():
        expression = Replace(expression, Value(old), Value(new))
    model.objects.filter(**{f"{field}__contains": "["}).update(**{field: expression})


def forwards(apps, schema_editor):
    rewrite(apps.get_model("feedback", "Response"), "comment", OLD_TO_NEW)
    rewrite(apps.get_model("feedback", "Interaction"), "note", OLD_TO_NEW)


def backwards(apps, schema_editor):
    new_to_old = {new: old for old, new in OLD_TO_NEW.items()}
    rewrite(apps.get_model("feedback", "Response"), "comment", new_to_old)
    rewrite(apps.get_model("feedback", "Interaction"), "note", new_to_old)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_import_job_resent_at")]

    operations = [migrations.RunPython(forwards, backwards)]
