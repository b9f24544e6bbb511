"""Tiny readers for settings from environment variables, each with a default; and the test
of a secret key that is too weak to run with DEBUG off."""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
# Placeholders from our own files and from Django's: known to anyone who reads them.
KNOWN_PLACEHOLDERS = ("change-me", "changeme", "django-insecure", "dev-only", "your-secret")
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 10


def secret_key_weakness(key: str) -> str:
    """Why ``key`` is too weak to sign sessions and links in production, or "" if it is not."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    lowered = key.lower()
    for placeholder in KNOWN_PLACEHOLDERS:
        if placeholder in lowered:
            return f"it contains the placeholder {placeholder!r}"
    return ""
