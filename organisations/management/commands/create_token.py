"""``manage.py create_token --org SLUG --name NAME``: a new integration token, printed once."""

from django.core.management.base import BaseCommand, CommandError

from organisations.models import IntegrationToken, Organisation


class Command(BaseCommand):
    help = "Create an integration token for an organisation. The token is shown only now."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--name", required=True, help="What will use the token.")

    def handle(self, *args, org, name, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org}'.")
        name = name.strip()
        if not name:
            raise CommandError("--name must not be empty.")
        _, raw = IntegrationToken.issue(organisation=organisation, name=name)
        self.stderr.write(f"Token '{name}' for {organisation.slug}; it is not shown again:")
        self.stdout.write(raw)
