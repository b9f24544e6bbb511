"""``{{ response.comment|spoken }}``: a stored comment with its redaction markers in the
reader's language (``feedback.privacy.spoken``)."""

from django import template

from feedback import privacy

register = template.Library()


@register.filter
def spoken(text):
    return privacy.spoken(text or "")
