"""Updates by e-mail: each recipient gets the update in their own language."""

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from programmes.models import Update


def email_update(update_id: int) -> int:
    """Send the update to the people it is for; at most once per update."""
    claimed = Update.objects.filter(pk=update_id, send_email=True, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return 0
    update = Update.objects.select_related("organisation", "author").get(pk=update_id)
    messages = []
    for person in update.recipients().exclude(email=""):
        language = person.language or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {"update": update, "person": person}
            subject = render_to_string("programmes/email/update_subject.txt", context)
            body = render_to_string("programmes/email/update_body.txt", context)
        messages.append(
            mail.EmailMessage(
                " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [person.email]
            )
        )
    if messages:
        with mail.get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)
