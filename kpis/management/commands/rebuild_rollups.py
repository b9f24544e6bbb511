"""``manage.py rebuild_rollups [--org SLUG]``: recompute every rollup from the raw rows."""

import time

from django.core.management.base import BaseCommand, CommandError

from kpis.rollups import rebuild
from organisations.models import Organisation


class Command(BaseCommand):
    help = "Recompute all rollups (the KPI cache) from the raw responses and interactions."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="Only this organisation (its slug).")

    def handle(self, *args, org=None, **options):
        organisations = Organisation.objects.all()
        if org:
            organisations = organisations.filter(slug=org)
            if not organisations.exists():
                raise CommandError(f"No organisation with slug '{org}'.")
        for organisation in organisations:
            started = time.perf_counter()
            rows = rebuild(organisation)
            seconds = time.perf_counter() - started
            self.stdout.write(f"{organisation.slug}: {rows} rollup rows in {seconds:.1f} s")
