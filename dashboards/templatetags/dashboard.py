"""Small helpers for dashboard templates."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping|get_item:key`` — a dictionary's value by a key from the template."""
    return mapping.get(key) if mapping else None
