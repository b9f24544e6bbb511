"""``manage.py bench --import-memory``: the peak memory of importing a file of responses, for
a short and a long file of each kind, each in a process of its own (the peak resident size a
process reaches is all the operating system tells, and it never goes down).

The file is written first (by this process, streaming), and the child reads it, as a worker
reads an upload, before its import starts: the figures say what the child held then (Django,
the file), its peak, and the difference, the most the import itself added.
Needs PostgreSQL, like the other benchmarks."""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time

from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from feedback.imports import import_file
from kpis.benchmarks import bench_organisation, clear, tasks_sent_not_run
from kpis.synthetic import generate_responses
from organisations.models import Organisation

CSV_SIZES = (100_000, 600_000)
# A generated XLSX keeps every distinct text in its shared strings, which the hostile-file cap
# (organisations/spreadsheets.py, 16 MB) holds to about 200k such rows: smaller sizes here.
XLSX_SIZES = (25_000, 100_000)
MEGABYTE = 1024 * 1024
COLUMNS = ["team", "score", "comment", "customer_ref", "submitted_at", "external_id"]


def _write_file(organisation, rows: int, kind: str, path: str, seed: int) -> None:
    generated = generate_responses(
        organisation, responses=rows, interactions=0, days=365, seed=seed
    )
    if kind == "csv":
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(generated)
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(COLUMNS)
    for row in generated:
        sheet.append([row[column] for column in COLUMNS])
    book.save(path)


def _peak_megabytes() -> float:
    """The most this process has held (Linux): VmHWM, the high-water mark of its own memory.
    Not getrusage's ru_maxrss, which Linux carries across fork and exec: a child of a bench
    that had grown to 300 MB would report 300 MB whatever the import held."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status: the memory benchmark needs Linux")


def _resident_megabytes() -> float:
    """What the process holds now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MEGABYTE


def import_in_this_process(slug: str, path: str) -> dict:
    """Read the file, import it, say what it took (run by the child, see ``measure``)."""
    organisation = Organisation.objects.get(slug=slug)
    with open(path, "rb") as upload:
        data = upload.read()
    before = _resident_megabytes()
    started = time.perf_counter()
    with tasks_sent_not_run():
        outcome = import_file(organisation, "responses", data, os.path.basename(path))
    return {
        "ok": outcome.ok,
        "errors": [error.as_dict() for error in outcome.errors[:3]],
        "created": outcome.result.created if outcome.ok else 0,
        "seconds": round(time.perf_counter() - started, 2),
        "rss_mb_before_import": round(before),
        "peak_mb": round(_peak_megabytes()),
    }


CHILD = (
    "import django, json, sys; django.setup(); "
    "from kpis.bench_imports import import_in_this_process; "
    "print(json.dumps(import_in_this_process(sys.argv[1], sys.argv[2])))"
)


def measure(organisation, rows: int, kind: str, seed: int = 21) -> dict:
    """One import of ``rows`` generated responses from a ``kind`` ("csv"/"xlsx") file, in a
    process of its own (same settings and database); the caller removes the rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"bench.{kind}")
        _write_file(organisation, rows, kind, path, seed)
        size = os.path.getsize(path)
        child = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", CHILD, organisation.slug, path],
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            check=False,
        )
    if child.returncode:
        raise RuntimeError(f"the memory benchmark's import crashed: {child.stderr[-2000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if not result.pop("ok"):
        raise RuntimeError(f"the memory benchmark's import failed: {result['errors']}")
    result.pop("errors")
    result.update(kind=kind, rows=rows, file_mb=round(size / MEGABYTE, 1))
    result["import_mb"] = result["peak_mb"] - result["rss_mb_before_import"]
    return result


def bench_import_memory(csv_sizes=CSV_SIZES, xlsx_sizes=XLSX_SIZES) -> dict:
    """Peak memory of each import, short and long files of both kinds, with the target."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmarks need PostgreSQL (set DATABASE_URL)")
    organisation = bench_organisation()
    runs = []
    try:
        for kind, sizes in (("csv", csv_sizes), ("xlsx", xlsx_sizes)):
            for rows in sizes:
                clear(organisation)
                runs.append(measure(organisation, rows, kind))
    finally:
        clear(organisation)
    return {
        "runs": runs,
        "target": "peak_mb <= 200 for 600,000 rows (CSV), import_mb flat with the length",
    }


def as_text(results: dict) -> str:
    lines = ["Import memory (peak resident size of a process of its own):"]
    for run in results["runs"]:
        lines.append(
            f"  {run['kind'].upper()} {run['rows']:,} rows ({run['file_mb']} MB file): peak "
            f"{run['peak_mb']} MB; {run['rss_mb_before_import']} MB held before the import "
            f"(the file read), at most {run['import_mb']} MB more during it; "
            f"{run['seconds']} s"
        )
    lines.append(f"Target: {results['target']}")
    return "\n".join(lines)
