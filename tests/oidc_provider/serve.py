"""Run the test provider: ``python -m tests.oidc_provider.serve PORT REDIRECT_URIS``.
Creates its database, the people of ``PROVIDER_PEOPLE`` (e-mail addresses, password
"provider-password") and two clients, "koning-klant" and "tampered" (secret
"provider-secret"), then serves on 127.0.0.1:PORT until killed."""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

PASSWORD = "provider-password"
CLIENT_SECRET = "provider-secret"


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main(port: int, redirect_uris: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    from django.contrib.auth.models import User
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    for address in os.environ.get("PROVIDER_PEOPLE", "").split(","):
        name = address.split("@")[0]
        User.objects.create_user(address, email=address, password=PASSWORD, first_name=name)
    for client_id in ("koning-klant", "tampered"):
        Application.objects.create(
            name=client_id,
            client_id=client_id,
            client_secret=CLIENT_SECRET,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=redirect_uris,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
            hash_client_secret=False,  # the default hash takes a second a login here
        )
    server = make_server("127.0.0.1", port, get_wsgi_application(), ThreadingServer, QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
