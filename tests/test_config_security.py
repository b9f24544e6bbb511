"""Security baseline: CSP with nonces and nothing inline, headers, and production settings."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

import dev
from config.env import secret_key_weakness


def test_pages_carry_a_strict_csp_with_a_nonce(client, org):
    client.force_login(org.manager)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in response.content.decode()
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_templates_have_no_inline_scripts_styles_or_event_handlers():
    offenders = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text):
            offenders.append(f"{path}: inline <script>")
        if re.search(r"<style[\s>]", text) or re.search(r"\sstyle=\"", text):
            offenders.append(f"{path}: inline style")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path}: inline event handler")
    assert offenders == []


def test_security_headers(client, db):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "a-long-random-production-secret-0123456789",
        ALLOWED_HOSTS="koningklant.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="koningklant.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_logged_in_pages_and_comment_exports_are_private_and_never_stored(login, org):
    client = login(org.employee)
    home = client.get(reverse("home"))
    export = client.get(
        reverse("dashboards:team_export", args=[org.team_a.slug, "comments", "csv"])
    )
    assert export.status_code == 200
    for response in (home, export):
        assert response["Cache-Control"] == "private, no-store"
        assert "camera=()" in response["Permissions-Policy"]


def test_pages_for_anybody_carry_the_permissions_policy_too(client, db):
    response = client.get(reverse("login"))
    assert "geolocation=()" in response["Permissions-Policy"]


def env_example_secret_key() -> str:
    for line in (settings.BASE_DIR / ".env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example names no SECRET_KEY")


@pytest.mark.parametrize(
    "weak_key",
    [
        pytest.param(env_example_secret_key(), id="the .env.example placeholder"),
        pytest.param("short-but-random-Xq9", id="short"),
        pytest.param("ab" * 40, id="few characters"),
        pytest.param("django-insecure-" + "x7Gk2pQz9LmN4vR8tY1wE5uI0oP3aS6dF", id="django's"),
    ],
)
def test_production_refuses_to_start_with_a_weak_or_placeholder_secret_key(weak_key):
    result = run_manage(
        "check", DEBUG="0", SECRET_KEY=weak_key, ALLOWED_HOSTS="koningklant.example.org"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for DEBUG off" in result.stderr


def test_the_demo_with_debug_off_makes_its_own_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setattr(dev, "DEMO_SECRET_KEY_FILE", tmp_path / ".demo-secret-key")
    first = dev.demo_secret_key()
    assert secret_key_weakness(first) == ""
    assert dev.demo_secret_key() == first
    assert (tmp_path / ".demo-secret-key").stat().st_mode & 0o077 == 0
    assert ".demo-secret-key" in (settings.BASE_DIR / ".gitignore").read_text().split()
    # A different checkout makes a different key.
    monkeypatch.setattr(dev, "DEMO_SECRET_KEY_FILE", tmp_path / "other")
    assert dev.demo_secret_key() != first
