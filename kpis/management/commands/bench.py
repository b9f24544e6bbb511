"""``manage.py bench [--scale 10k|100k|1m|10m] [--responses N] [--interactions N] [--contacts N]
[--emails N] [--json]``: the benchmark suite (DESIGN.md, Performance), one section after another
(``SECTIONS``). ``--people N`` instead times an import of N people into 30 teams from XLSX, and a
re-import; ``--pages [--scales 10000,1000000]`` times the team page beside a one-query view;
``--import-memory`` measures the peak memory of imports (kpis/bench_imports.py);
``--search N`` the comment feed's search with 10,000 and N responses."""

import json

from django.core.management.base import BaseCommand, CommandError

from kpis.bench_imports import as_text, bench_import_memory
from kpis.bench_invitations import bench_invitations
from kpis.bench_latency import bench_one_new_answer
from kpis.bench_pages import bench_pages
from kpis.bench_search import bench_search
from kpis.benchmarks import REBUILD_PAIRS, bench_ingest, bench_people, bench_rollups

# --scale: (responses, interactions)
SCALES = {
    "10k": (10_000, 20_000),
    "100k": (100_000, 200_000),
    "1m": (1_000_000, 2_000_000),
    "10m": (10_000_000, 20_000_000),
}


def _ingest(options):
    return bench_ingest(options["responses"], keep=True)


def _rollups(options):
    return bench_rollups(
        options["interactions"],
        pairs=options["pairs"],
        then=lambda organisation: bench_one_new_answer(organisation, options["posts"]),
    )


def _invitations(options):
    return bench_invitations(options["contacts"], options["emails"])


def _pages(options):
    return bench_pages(sorted({10_000, options["responses"]}))


def _search(options):
    return bench_search(max(options["responses"], 10_000))


def _import_memory(options):
    return bench_import_memory()


# The sections in the order they run; rollups counts the responses ingest keeps.
SECTIONS = {"ingest": _ingest, "rollups": _rollups, "invitations": _invitations}
# With --all, after them: each of these builds (and removes) rows of its own, at 10,000
# responses and at the run's size, so every figure of the benchmarks comes from one run.
MORE_SECTIONS = {"pages": _pages, "search": _search, "import_memory": _import_memory}


class Command(BaseCommand):
    help = "Run the benchmarks on PostgreSQL; each figure beside its baseline from the same run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=SCALES,
            help="Responses and interactions: 10k sets 10,000 and 20,000, and so on up to 10m.",
        )
        parser.add_argument("--responses", type=int, help="Default 100,000 (or the --scale's).")
        parser.add_argument(
            "--interactions",
            type=int,
            help="For the rollup benchmark (default: 2 per response, or the --scale's).",
        )
        parser.add_argument(
            "--pairs",
            type=int,
            default=REBUILD_PAIRS,
            help="Times the rebuild and its hand-written baseline run in turns (at least 3).",
        )
        parser.add_argument(
            "--contacts",
            type=int,
            default=2000,
            help="Invitations asked after this many new contacts (the README's: 100,000).",
        )
        parser.add_argument(
            "--emails",
            type=int,
            default=200,
            help="Invitation e-mails sent to a local SMTP server (the README's: 10,000).",
        )
        parser.add_argument(
            "--people",
            type=int,
            help="Only time importing this many people into 30 teams (XLSX), and a re-import.",
        )
        parser.add_argument(
            "--import-memory",
            action="store_true",
            help="Only the peak memory of imports of short and long files (kpis/bench_imports.py).",
        )
        parser.add_argument(
            "--posts",
            type=int,
            default=100,
            help="One new answer: POSTs of each kind timed until the KPI API shows them, with "
            "a real worker and web server (0: leave that part out).",
        )
        parser.add_argument(
            "--pages",
            action="store_true",
            help="Only time the team page beside a one-query view, at each of --scales.",
        )
        parser.add_argument(
            "--scales",
            default="10000,1000000",
            help="For --pages: responses (and a tenth as many interactions) at each size.",
        )
        parser.add_argument(
            "--search",
            type=int,
            metavar="N",
            help="Only time the comment feed's search and filters with 10,000 and N responses.",
        )
        parser.add_argument(
            "--keep", action="store_true", help="With --search: keep its rows for the next run."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Also the team page, the search and import memory, at 10,000 responses and at "
            "the run's size (--json prints every figure of one run).",
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, **options):
        if options["people"]:
            return self.people(options["people"], options["json"])
        if options["import_memory"]:
            try:
                results = bench_import_memory()
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(_dumps(results) if options["json"] else as_text(results))
            return None
        if options["pages"]:
            return self.pages(options["scales"], options["json"])
        if options["search"]:
            return self.search(options["search"], options["keep"], options["json"])
        if options["scale"] is not None and options["scale"] not in SCALES:
            raise CommandError(f"--scale: one of {', '.join(SCALES)}.")
        responses, interactions = SCALES.get(options["scale"], (100_000, None))
        options["responses"] = options["responses"] or responses
        options["interactions"] = options["interactions"] or interactions
        options["interactions"] = options["interactions"] or 2 * options["responses"]
        if options["pairs"] < 3:
            raise CommandError("--pairs: at least 3, for a median and a spread.")
        try:
            sections = SECTIONS | (MORE_SECTIONS if options["all"] else {})
            results = {name: section(options) for name, section in sections.items()}
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(_dumps(results))
            return
        ingest = results["ingest"]
        low, high = ingest["speed_ratio_spread"]
        self.stdout.write(
            f"Ingest of {ingest['rows']:,} responses from CSV, tagged with the demo's themes "
            f"({ingest['theme_links']:,} theme links), in {ingest['chunks']} chunks: "
            f"{ingest['ingest_seconds']} s ({ingest['ingest_rows_per_second']:,} rows/s)\n"
            f"Bare COPY of the same rows and theme links, right after each chunk: "
            f"{ingest['copy_seconds']} s ({ingest['copy_rows_per_second']:,} rows/s)\n"
            f"Speed ratio to COPY, median of the chunks: {ingest['speed_ratio_to_copy']} "
            f"(spread {low}–{high}; target ≥ 0.8)"
        )
        built = results["rollups"]
        low, high = built["rebuild_ratio_spread"]
        group_low, group_high = built["rebuild_ratio_to_group_by_spread"]
        self.stdout.write(
            f"Generated interactions loaded by COPY: {built['interactions_loaded']:,} in "
            f"{built['interaction_load_seconds']} s "
            f"({built['interaction_load_rows_per_second']:,} rows/s)\n"
            f"Rollup rebuild over {built['responses']:,} responses and "
            f"{built['interactions']:,} interactions, {len(built['pairs'])} pairs in turns "
            f"(medians): {built['rebuild_seconds']} s ({built['rollup_rows']:,} rows)\n"
            f"Hand-written SQL baseline of the same rows: {built['baseline_seconds']} s "
            f"(rows that differ: {sum(built['baseline_differences'].values())})\n"
            f"Rebuild ratio to the baseline: {built['rebuild_ratio_to_baseline']} "
            f"(spread {low}–{high}; target ≤ 1.2)\n"
            f"Bare GROUP BYs over the same rows: {built['group_by_seconds']} s, rebuild ratio "
            f"{built['rebuild_ratio_to_group_by']} (spread {group_low}–{group_high})\n"
            f"Rollups up to date after one new response: "
            f"{built['incremental_seconds_after_one_response']} s, "
            f"after one new interaction: {built['incremental_seconds_after_one_interaction']} s"
        )
        for kind, one in built["worker_beside_group_by"].items():
            low, high = one["ratio_spread"]
            self.stdout.write(
                f"One new {kind[:-1]}: worker {one['worker_seconds_median']} s "
                f"({one['worker_statements']} statements, {one['worker_transactions']} "
                f"transaction), bare GROUP BY of its team-day "
                f"{one['bare_group_by_seconds_median']} s; ratio, median of "
                f"{one['pairs']} pairs: {one['ratio_median']} (spread {low}–{high}; target ≤ 3)"
            )
        for kind, latency in built.get("post_to_kpis", {}).items():
            if isinstance(latency, dict):
                self.stdout.write(
                    f"POST /api/v1/{kind} to a changed figure in GET /api/v1/kpis: "
                    f"p50 {latency['p50_seconds']} s, p95 {latency['p95_seconds']} s"
                )
        invited = results["invitations"]
        self.stdout.write(
            f"Interactions stored: {invited['contacts']:,} in "
            f"{invited['interaction_ingest_seconds']} s "
            f"({invited['interactions_per_second']:,}/s)\n"
            f"Invitations asked after them, 1,000 a call: {invited['invitation_seconds']} s "
            f"({invited['invitation_requests_per_second']:,}/s, "
            f"{invited['invitations_made']:,} made, the rest throttled)\n"
            f"Invitation e-mails to a local SMTP server: {invited['emails']:,} in "
            f"{invited.get('email_seconds', '-')} s ({invited.get('emails_per_second', '-')}/s)"
        )
        if options["all"]:
            self.write_pages(results["pages"])
            self.write_search(results["search"])
            self.stdout.write(as_text(results["import_memory"]))

    def pages(self, scales, as_json):
        try:
            sizes = [int(size.replace("_", "")) for size in scales.split(",")]
        except ValueError:
            raise CommandError("--scales takes sizes separated by commas: 10000,1000000") from None
        if not sizes or min(sizes) < 1:
            raise CommandError("--scales takes sizes separated by commas: 10000,1000000")
        try:
            results = {"pages": bench_pages(sizes)}
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(_dumps(results))
            return
        self.write_pages(results["pages"])

    def write_pages(self, pages):
        for scale in pages["scales"]:
            self.stdout.write(
                f"{scale['responses']:,} responses: one-query view {scale['one_query_ms']} ms; "
                f"queries {scale['queries']}"
            )
            for name, what in (
                ("team_page", "team page, a member (comment feed included)"),
                ("team_page_hr", "team page, HR (no comments)"),
                ("team_page_uncached", "team page, a member, without the page cache"),
            ):
                low, high = scale[f"{name}_ratio_spread"]
                self.stdout.write(
                    f"  {what}: {scale[f'{name}_ms']} ms, ratio {scale[f'{name}_ratio']} "
                    f"(spread {low}–{high}; target ≤ 5)"
                )
        if pages["flat"]["team_page"] is not None:
            self.stdout.write(f"Largest size's ratio over the smallest's: {pages['flat']}")

    def people(self, count, as_json):
        results = {"people": bench_people(count)}
        if as_json:
            self.stdout.write(_dumps(results))
            return
        people = results["people"]
        self.stdout.write(
            f"Import of {people['people']:,} people into {people['teams']} teams from XLSX: "
            f"checked and previewed in {people['first_check_and_preview_seconds']} s, "
            f"applied in {people['first_apply_seconds']} s\n"
            f"Re-import changing {people['reimport_changes']:,} fields: checked and previewed "
            f"in {people['reimport_check_and_preview_seconds']} s, "
            f"applied in {people['reimport_apply_seconds']} s"
        )

    def search(self, rows, keep, as_json):
        try:
            results = {"search": bench_search(rows, keep=keep)}
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(_dumps(results))
            return
        self.write_search(results["search"])

    def write_search(self, found):
        self.stdout.write(
            f"Comment feed, {found['responses_small']:,} and {found['responses_large']:,} "
            f"responses, timed in turns (best of {found['requests_per_timing']} requests each):"
        )
        for name, figure in found.items():
            if isinstance(figure, dict):
                low, high = figure["ratio_spread"]
                self.stdout.write(
                    f"  {name}: {figure['small_ms']} ms and {figure['large_ms']} ms "
                    f"(SQL {figure['small_sql_ms']} and {figure['large_sql_ms']} ms), ratio "
                    f"{figure['ratio']} (spread {low}–{high}; target 0.8–1.2)"
                )


def _dumps(results) -> str:
    return json.dumps(results, indent=2)
