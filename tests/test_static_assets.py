"""Static assets the app serves itself: stylesheets that parse, scripts that exist."""

import re

from django.conf import settings

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
