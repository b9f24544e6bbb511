"""Static assets the app serves itself: stylesheets that parse, scripts that exist."""

import json
import re

import brotli
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

STATIC = settings.BASE_DIR / "static"


def test_stylesheets_have_balanced_braces():
    # An unclosed block (a bad merge, a lost brace) silently swallows every rule after it.
    for path in STATIC.rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        depth = 0
        for character in text:
            depth += {"{": 1, "}": -1}.get(character, 0)
            assert depth >= 0, f"{path.name}: a '}}' closes nothing"
        assert depth == 0, f"{path.name}: {depth} block(s) left open"


def test_templates_load_only_static_files_that_exist():
    for template in (settings.BASE_DIR / "templates").rglob("*.html"):
        for name in re.findall(r"{% static '([^']+)' %}", template.read_text()):
            assert (STATIC / name).exists(), f"{template.name} loads a missing {name}"


# Closing a response closes stale database connections, which counts as database access.
@pytest.mark.django_db
def test_static_files_are_served_brotli_compressed_after_collectstatic(settings, tmp_path):
    # Production's storage writes hashed names with .gz and (the brotli package installed)
    # .br versions beside them; WhiteNoise serves the .br one to a browser that accepts it.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    # the project's own files only: compressing every app's (the admin's) takes a minute
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    # (and not the 1.3 MB of vendored scripts: Brotli at its best takes seconds on them)
    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["vendor"])
    stylesheet = next(
        name
        for name in json.loads((tmp_path / "staticfiles.json").read_text())["paths"].values()
        if name.startswith("css/") and name.endswith(".css")
    )
    assert (tmp_path / f"{stylesheet}.br").exists()
    client = Client()  # a new client: WhiteNoise reads the files found at its start
    url = "/" + f"{settings.STATIC_URL}{stylesheet}".lstrip("/")
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    body = b"".join(response.streaming_content)
    response.close()
    original = (STATIC / stylesheet.split("/")[0]).glob("*.css")
    assert brotli.decompress(body) in {path.read_bytes() for path in original}
