"""Faults injected from outside, for ``manage.py soak`` and the fault tests: a redis-server of
our own on a free port that can be stopped and started again, and the Celery app pointed at it."""

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

from celery import current_app as app
from django.test.utils import override_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server on 127.0.0.1 at a port of its own, without persistence; ``stop`` kills
    only this one."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.directory = tempfile.mkdtemp(prefix="kk-redis-")

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", self.directory]
        self.process = subprocess.Popen(  # noqa: S603 - our own redis-server, fixed arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: it still accepts connections but answers nothing (a hung host)."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def reset_celery_connections() -> None:
    """Celery keeps its connection pools and result store; drop them after a change of URL."""
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.backend = None


@contextmanager
def using_redis(url: str):
    """This process's cache, rate limits, broker and result store on the Redis at ``url``."""
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
        "limits": {
            "BACKEND": "config.caches.RedisOrLocalCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
        "pages": {
            "BACKEND": "config.caches.RedisOrLocalCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
    }
    saved = app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager
    app.conf.broker_url, app.conf.result_backend = url, url
    app.conf.task_always_eager = False
    reset_celery_connections()
    try:
        with override_settings(REDIS_URL=url, CACHES=caches):
            yield
    finally:
        app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
        reset_celery_connections()
