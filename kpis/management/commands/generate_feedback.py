"""``manage.py generate_feedback --org SLUG --responses N --interactions N --days D --seed S``."""

import time

from django.core.management.base import BaseCommand, CommandError

from kpis.synthetic import generate_interactions, generate_responses, store_generated
from organisations.models import Organisation

MAX_DAYS = 3650  # feedback is accepted from 2000 on; ten years back is plenty


class Command(BaseCommand):
    help = (
        "Generate realistic synthetic responses and interactions through the bulk ingest path. "
        "The same seed gives the same rows, stored once however often you run it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--responses", type=int, default=1000)
        parser.add_argument("--interactions", type=int, default=3000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, org, responses, interactions, days, seed, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org}'.")
        if responses < 0 or interactions < 0 or not 1 <= days <= MAX_DAYS:
            raise CommandError(
                f"--responses and --interactions must be ≥ 0, --days from 1 to {MAX_DAYS}."
            )
        if not organisation.teams.exists():
            raise CommandError(f"Organisation '{org}' has no teams to give feedback to.")
        started = time.perf_counter()
        # Streamed in chunks: millions of rows need no more memory than a few thousand.
        sizes = {"responses": responses, "interactions": interactions, "days": days, "seed": seed}
        stored_r = store_generated(
            organisation, "responses", generate_responses(organisation, **sizes)
        )
        stored_i = store_generated(
            organisation, "interactions", generate_interactions(organisation, **sizes)
        )
        seconds = time.perf_counter() - started
        rate = (responses + interactions) / max(seconds, 1e-9)
        self.stdout.write(
            self.style.SUCCESS(
                f"Responses: {stored_r[0]} new, {stored_r[1]} already there. "
                f"Interactions: {stored_i[0]} new, {stored_i[1]} already there. "
                f"Generated and stored in {seconds:.1f} s ({rate:,.0f} rows/s)."
            )
        )
