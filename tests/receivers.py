"""A real HTTP receiver process for webhook tests (``tests/webhook_receiver.py``), as a fixture:
it listens on a free port of 127.0.0.1, checks signatures, and logs what it received."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def receiver(tmp_path, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    port, secret = free_port(), "s3cret-for-the-test"
    mode, log = tmp_path / "mode", tmp_path / "log"
    mode.write_text("ok")
    log.write_text("")
    script = str(ROOT / "tests" / "webhook_receiver.py")
    process = subprocess.Popen([sys.executable, script, str(port), secret, str(mode), str(log)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{port}/hook",
        secret=secret,
        answer=mode.write_text,
        received=lambda: [json.loads(line) for line in log.read_text().splitlines()],
    )
    process.kill()
    process.wait()
