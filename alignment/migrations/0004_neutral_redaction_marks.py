"""Redaction markers in alignment comments become neutral (``⟦name⟧``), shown in the reader's
language; the English ones stored so far (``[name]``, ``[phone]``) are rewritten."""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Replace

OLD_TO_NEW = {
    "[e-mail]": "⟦email⟧",
    "[phone]": "⟦phone⟧",
    "[IBAN]": "⟦iban⟧",
    "[name]": "⟦name⟧",
}


def rewrite(apps, pairs):
    comment = apps.get_model("alignment", "AlignmentComment")
    expression = F("text")
    for old, new in pairs.items():
        expression = Replace(expression, Value(old), Value(new))
    comment.objects.filter(text__contains="[").update(text=expression)


def forwards(apps, schema_editor):
    rewrite(apps, OLD_TO_NEW)


def backwards(apps, schema_editor):
    rewrite(apps, {new: old for old, new in OLD_TO_NEW.items()})


class Migration(migrations.Migration):
    dependencies = [("alignment", "0003_answer_batches")]

    operations = [migrations.RunPython(forwards, backwards)]
