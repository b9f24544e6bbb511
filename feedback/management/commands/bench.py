"""``manage.py bench [--responses N] [--json]``: the benchmark suite (DESIGN.md, Performance)."""

import json

from django.core.management.base import BaseCommand, CommandError

from feedback.benchmarks import bench_ingest


class Command(BaseCommand):
    help = "Run the benchmarks on PostgreSQL; each figure beside its baseline from the same run."

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=100_000)
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, responses, **options):
        try:
            results = {"ingest": bench_ingest(responses)}
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(_dumps(results))
            return
        ingest = results["ingest"]
        self.stdout.write(
            f"Ingest of {ingest['rows']:,} responses from CSV: {ingest['ingest_seconds']} s "
            f"({ingest['ingest_rows_per_second']:,} rows/s)\n"
            f"Bare COPY of the same rows:       {ingest['copy_seconds']} s "
            f"({ingest['copy_rows_per_second']:,} rows/s)\n"
            f"Speed ratio to COPY: {ingest['speed_ratio_to_copy']} (target ≥ 0.5)"
        )


def _dumps(results) -> str:
    return json.dumps(results, indent=2)
