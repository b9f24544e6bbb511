"""Small server-drawn charts: sparklines as SVG polylines (no script, nothing to load)."""

from django import template

register = template.Library()

WIDTH, HEIGHT, PAD = 120, 28, 2


@register.simple_tag
def sparkline(values, low=-100, high=100):
    """Polyline point lists for ``values`` on a fixed scale (gaps where a value is missing,
    so a period without scores is not drawn as a fall)."""
    values = list(values)
    if len(values) < 2:
        return []
    span = (high - low) or 1
    step = (WIDTH - 2 * PAD) / (len(values) - 1)
    segments, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if len(current) > 1:
                segments.append(" ".join(current))
            current = []
            continue
        clamped = min(max(value, low), high)
        y = PAD + (HEIGHT - 2 * PAD) * (high - clamped) / span
        current.append(f"{PAD + index * step:.1f},{y:.1f}")
    if len(current) > 1:
        segments.append(" ".join(current))
    return segments
