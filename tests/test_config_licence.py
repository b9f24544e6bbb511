"""The licence pyproject.toml names is in LICENSE, every page links to the source as that
licence asks of a network service, and dev.py accepts the Pythons pyproject.toml allows."""

import re
import tomllib
from pathlib import Path

from django.urls import reverse

import dev

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_holds_the_licence_pyproject_names():
    assert PROJECT["license"] == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")
    assert "13. Remote Network Interaction" in text


def test_every_page_links_to_the_source(client, org, settings):
    settings.SOURCE_URL = "https://code.example.org/koning-klant"
    assert 'href="https://code.example.org/koning-klant"' in client.get(reverse("login")).text
    client.force_login(org.employee)
    assert 'href="https://code.example.org/koning-klant"' in client.get(reverse("home")).text


def test_dev_py_accepts_exactly_the_pythons_pyproject_allows():
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", PROJECT["requires-python"]).groups()
    assert [(3, minor) for minor in range(int(low), int(high))] == dev.SUPPORTED
    classifiers = {c.rsplit(" ", 1)[1] for c in PROJECT["classifiers"] if "Python :: 3." in c}
    assert classifiers == {f"3.{minor}" for _major, minor in dev.SUPPORTED}
