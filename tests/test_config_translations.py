"""English and Dutch: every user-facing string has its Dutch translation, compiled, and the
Dutch pages contain no English left-overs."""

import os
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

PO = settings.BASE_DIR / "locale" / "nl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def english_strings():
    """The msgids whose Dutch differs, split on placeholders, long enough to be unambiguous."""
    text = PO.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M)
    pieces = set()
    for msgid, msgstr in pairs:
        if msgid == msgstr:
            continue
        for piece in re.split(r"%\(\w+\)s", msgid.replace('\\"', '"')):
            if len(piece.split()) >= 3:
                pieces.add(piece.strip())
    return pieces


def needs_gettext():
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI"):
            pytest.fail("gettext is missing in CI: .ci/run installs it")
        pytest.skip("gettext's msgfmt is not installed")


def test_dutch_catalogue_is_complete_and_compiled(tmp_path):
    needs_gettext()
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert (tmp_path / "django.mo").read_bytes() == MO.read_bytes(), (
        "run: python manage.py compilemessages -l nl"
    )


PAGES = [
    ("manager", "home", []),
    ("manager", "dashboards:board", []),
    ("manager", "organisations:people", []),
    ("manager", "organisations:tokens", []),
    ("manager", "feedback:themes", []),
    ("manager", "feedback:imports", []),
    ("manager", "feedback:survey_links", ["alpha"]),
    ("lead", "feedback:complaint_create", ["alpha"]),
    ("hr", "home", []),
    ("lead", "home", []),
    ("employee", "home", []),
    ("employee", "dashboards:team_detail", ["alpha"]),
    ("employee", "ideas:list", []),
    ("lead", "ideas:create", []),
    (None, "login", []),
    (None, "password_reset", []),
    (None, "feedback:survey", ["LINK"]),
    (None, "feedback:survey_thanks", ["LINK"]),
]


def page_args(org, args):
    from feedback.models import SurveyLink

    if args == ["LINK"]:
        link = SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="D")
        return [link.token]
    return args


@pytest.mark.parametrize(("role", "url_name", "args"), PAGES)
def test_dutch_pages_have_no_english_left(org, role, url_name, args):
    client = Client(headers={"accept-language": "nl"})
    if role:
        client.force_login(getattr(org, role))
    page = client.get(reverse(url_name, args=page_args(org, args))).content.decode()
    assert '<html lang="nl">' in page
    assert len(english_strings()) > 50  # the check below has something to look for
    left = [s for s in english_strings() if s in page or s.replace('"', "&quot;") in page]
    assert left == []


@pytest.mark.parametrize(("role", "url_name", "args"), PAGES)
def test_english_pages_render_in_english(org, role, url_name, args):
    client = Client(headers={"accept-language": "en"})
    if role:
        client.force_login(getattr(org, role))
    response = client.get(reverse(url_name, args=page_args(org, args)))
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_language_switch_sets_the_cookie_and_remembers_it_for_e_mails(client, org):
    client.force_login(org.employee)
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/board/"})
    assert response.status_code == 302 and response["Location"] == "/board/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    org.employee.refresh_from_db()
    assert org.employee.language == "nl"
    assert "Overzicht" in client.get("/board/").content.decode()


def msgids(po_text: str) -> set[str]:
    return set(re.findall(r'^msgid "(.+)"$', po_text, re.M))


def test_every_translatable_string_in_the_code_is_in_the_dutch_catalogue(tmp_path):
    """makemessages on a copy of the code must find nothing the catalogue lacks."""
    needs_gettext()
    import sys

    copy = tmp_path / "src"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "staticfiles", "*.sqlite3", "__pycache__", ".*_cache", "docs"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-location", "--no-wrap"],
        cwd=copy,
        check=True,
        capture_output=True,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    found = msgids((copy / "locale/nl/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    missing = found - msgids(PO.read_text(encoding="utf-8"))
    assert missing == set(), "run makemessages and translate: " + ", ".join(sorted(missing))
