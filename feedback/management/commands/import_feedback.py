"""``manage.py import_feedback PATH --org SLUG --kind responses|interactions``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.imports import import_file
from organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Import a CSV (comma or semicolon, UTF-8) or XLSX file of responses or interactions. "
        "Every row is checked first; one bad row and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--kind", required=True, choices=["responses", "interactions"])

    def handle(self, *args, path, org, kind, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug '{org}'.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        outcome = import_file(organisation, kind, data, path.name)
        if not outcome.ok:
            for error in outcome.errors:
                where = f"row {error.row}" if error.row else "file"
                column = f", column {error.field}" if error.field else ""
                self.stderr.write(f"{where}{column}: {error.message}")
            if outcome.error_count > len(outcome.errors):
                self.stderr.write(f"… and {outcome.error_count - len(outcome.errors)} more.")
            raise CommandError(f"{outcome.error_count} problem(s); nothing was imported.")
        result = outcome.result
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} {kind} from {path.name}"
                + (f" ({result.duplicates} already there, skipped)." if result.duplicates else ".")
            )
        )
