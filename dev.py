#!/usr/bin/env python3
"""Set up and run Koning Klant on this machine with nothing but Python (3.11, 3.12 or 3.13).

    python3 dev.py demo    # the app with demo data at http://127.0.0.1:8000 (SQLite, no Redis)
    python3 dev.py demo 0.0.0.0:8080    # the same at another address (or just a port: 8080)
    python3 dev.py test    # the test suite (set DATABASE_URL / REDIS_URL to test against them)

Both create a virtual environment in .venv and install the pinned dependencies when
pyproject.toml has changed since the last install. Extra arguments go to runserver or pytest.
"""

import contextlib
import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
# As pyproject.toml's requires-python; CI proves every pin has a wheel for each
# (.ci/wheels_for_newer_pythons.sh).
SUPPORTED = [(3, 11), (3, 12), (3, 13)]
# The demo's own random SECRET_KEY when it runs with DEBUG off (kept so sessions survive a
# restart; ignored by git, readable by this user only).
DEMO_SECRET_KEY_FILE = ROOT / ".demo-secret-key"


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def ensure_environment():
    if sys.version_info[:2] not in SUPPORTED:
        wanted = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)
        sys.exit(f"Koning Klant needs Python {wanted}; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("Installing dependencies (first time, or pyproject.toml changed) …", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(wanted)


def demo_secret_key() -> str:
    """The demo's random key, made once and kept in an ignored local file."""
    if not DEMO_SECRET_KEY_FILE.exists():
        DEMO_SECRET_KEY_FILE.touch(mode=0o600)
        DEMO_SECRET_KEY_FILE.write_text(secrets.token_urlsafe(64))
    return DEMO_SECRET_KEY_FILE.read_text().strip()


def demo(args):
    env = os.environ | {"DEBUG": os.environ.get("DEBUG", "1")}
    if env["DEBUG"].strip().lower() in {"0", "false", "no", "off"} and not env.get("SECRET_KEY"):
        # With DEBUG off the settings refuse to start on a missing or weak key.
        env["SECRET_KEY"] = demo_secret_key()
    run(PYTHON, "manage.py", "migrate", "--noinput", env=env)
    address = args[0] if args else "127.0.0.1:8000"
    if address.isdigit():  # runserver takes a bare port too
        address = f"127.0.0.1:{address}"
    # Links in e-mails and the survey addresses seed_demo prints point at this server.
    env.setdefault("SITE_URL", f"http://{address}")
    run(PYTHON, "manage.py", "seed_demo", env=env)
    print(f"\nKoning Klant runs at http://{address} — stop it with Ctrl+C.\n", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        run(PYTHON, "manage.py", "runserver", address, *args[1:], env=env)


def test(args):
    result = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, check=False)
    sys.exit(result.returncode)


COMMANDS = {"demo": demo, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    ensure_environment()
    COMMANDS[sys.argv[1]](sys.argv[2:])
