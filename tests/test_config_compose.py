"""docker-compose.yml runs what this project has (Docker itself does not run in CI).

Every command a service runs must exist here (manage.py commands, the Celery app, the WSGI
callable, the health URL), and the services must agree on their environment.
"""

import importlib
import re
import shlex
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve

APP_SERVICES = ["migrate", "web", "worker", "beat"]


def interpolate(value: str) -> str:
    """Resolve compose's ${VAR:-default} and ${VAR:?error} the way an unset .env would."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    value = re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", lambda m: f"<{m.group(1)}>", value)
    return value.replace("$$", "$")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())


def command_of(service) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def health_command(service) -> list[str]:
    test = service["healthcheck"]["test"]
    return shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:]


def check_celery(argv):
    assert argv[:3] == ["celery", "-A", "config"], argv
    module = importlib.import_module("config")
    assert module.celery_app.main == "koningklant"
    assert argv[3] in {"worker", "beat", "inspect"}, argv


def check_gunicorn(argv):
    module_name, attribute = argv[1].split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


def check_command(argv):
    if argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands(), f"no manage.py command {argv[2]!r}"
    elif argv[0] == "celery":
        check_celery(argv)
    elif argv[0] == "gunicorn":
        check_gunicorn(argv)
    elif argv[:2] == ["python", "-c"]:
        for url in re.findall(r"http://[^'\"]+", argv[2]):
            resolve(urlparse(url).path)
    else:
        raise AssertionError(f"unknown command {argv}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_runs_a_command_this_project_has(compose, name):
    service = compose["services"][name]
    check_command(command_of(service))
    if "healthcheck" in service:
        check_command([interpolate(part) for part in health_command(service)])


def test_web_health_check_passes_django_host_validation(compose, client, db, settings, monkeypatch):
    """Run the health check's own Python against the test client: same URL, same headers."""
    import urllib.request

    service = compose["services"]["web"]
    script = health_command(service)[2]
    settings.ALLOWED_HOSTS = ["koningklant.example.org"]
    seen = {}

    def fake_urlopen(request, timeout):
        seen["url"], seen["host"] = request.full_url, request.get_header("Host")
        parsed = urlparse(request.full_url)
        answer = client.get(f"{parsed.path}?{parsed.query}", headers={"host": seen["host"]})
        assert answer.status_code == 200, answer.content
        return answer

    monkeypatch.setenv("ALLOWED_HOSTS", "koningklant.example.org,www.koningklant.example.org")
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    exec(script, {})  # noqa: S102 - the command from our own compose file
    assert seen["host"] == "koningklant.example.org"


def test_web_is_published_on_loopback_only(compose):
    for port in compose["services"]["web"]["ports"]:
        assert interpolate(port).startswith("127.0.0.1:"), port


def test_web_runs_the_projects_wsgi_application(compose):
    argv = command_of(compose["services"]["web"])
    assert argv[1] == f"{settings.WSGI_APPLICATION.rsplit('.', 1)[0]}:application"


def test_app_services_share_one_environment(compose):
    environments = [compose["services"][name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)


def test_database_and_redis_urls_point_at_the_compose_services(compose):
    env = {k: interpolate(str(v)) for k, v in compose["services"]["web"]["environment"].items()}
    postgres = compose["services"]["postgres"]["environment"]
    database = urlparse(env["DATABASE_URL"])
    assert database.hostname == "postgres"
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    assert database.password == interpolate(postgres["POSTGRES_PASSWORD"])
    assert urlparse(env["REDIS_URL"]).hostname == "redis"
    assert env["DEBUG"] == "0"


def test_every_variable_compose_sets_is_one_the_settings_read(compose):
    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    for variable in compose["services"]["web"]["environment"]:
        assert f'"{variable}"' in source, f"settings.py does not read {variable}"


def test_dependencies_exist_and_the_database_keeps_a_volume(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert set(compose["volumes"]) >= {"postgres-data"}
    for name in ["web", "worker", "postgres", "redis"]:
        assert "healthcheck" in services[name], name
