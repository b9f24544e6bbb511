"""The seven levels of change; values and HR's alignment surveys live in alignment_models.py."""

from levels.alignment_models import *  # noqa: F403
