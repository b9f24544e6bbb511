"""What the ground floor tells the apps above it, which it never imports."""

from django.dispatch import Signal

# The organisation changed its time zone (``clock_change``, a ClockChange); sent once that is
# committed. Capture restamps its rows' local days; the KPI engine then recomputes.
time_zone_changed = Signal()

# A person left the organisation (``person``, a User, now inactive); sent once committed.
# Apps above hand back what the person owned and stop inviting them.
person_left = Signal()
