"""The house rules of the layout (DESIGN.md, "Domain"; STYLE.md, "Layout"): each app imports only
the apps below it, nothing outside ``kpis`` reads the rollup tables, and no import hides in a
function to dodge a cycle. The contracts themselves are in ``.importlinter``."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Ground floor first, as in INSTALLED_APPS and .importlinter.
APPS = ["organisations", "feedback", "kpis", "programmes", "levels", "alignment", "ideas"]
APPS += ["followups", "dashboards"]
OURS = {*APPS, "config"}
ROLLUP_TABLES = re.compile(r"\bkpis_(rollup|themerollup|dailycustomers)\b", re.IGNORECASE)


def modules():
    for app in sorted(OURS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def lint_imports(*arguments):
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_every_app_imports_only_the_apps_below_it_and_no_module_outside_kpis_reads_rollups():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_contracts_catch_an_upward_import_and_a_rollup_read(tmp_path):
    """The checker itself works: a module in feedback that imports dashboards, and one in
    programmes that imports the rollup models, each break their contract."""
    offenders = [
        (ROOT / "feedback" / "_upward_probe.py", "from dashboards import figures  # noqa\n"),
        (ROOT / "programmes" / "_rollup_probe.py", "from kpis.models import Rollup  # noqa\n"),
    ]
    try:
        for path, text in offenders:
            path.write_text(text)
        result = lint_imports()
    finally:
        for path, _text in offenders:
            path.unlink(missing_ok=True)
    assert result.returncode != 0
    assert "feedback._upward_probe -> dashboards.figures" in result.stdout
    assert "programmes._rollup_probe -> kpis.models" in result.stdout


def imports_inside_functions(source: str):
    """(line, function, module) of every import of our own apps made inside a function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level > 0:
                names = ["config" + "." * inner.level]  # relative: always our own code
            elif isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            found += [(inner.lineno, node.name, n) for n in names if n.split(".")[0] in OURS]
    return found


def test_no_import_of_our_apps_hides_inside_a_function():
    """Django's AppConfig.ready, which connects signal receivers, is the one exception."""
    hidden = [
        f"{path.relative_to(ROOT)}:{line} in {function}(): {module}"
        for path in modules()
        for line, function, module in imports_inside_functions(path.read_text())
        if not (path.name == "apps.py" and function == "ready")
    ]
    assert hidden == []


def test_the_function_import_check_finds_one():
    source = "def late():\n    from feedback import ingest\n    import kpis.read\n"
    source += "    from . import rows\n    import json\n"
    found = [(line, function) for line, function, _module in imports_inside_functions(source)]
    assert found == [(2, "late"), (3, "late"), (4, "late")]


def test_no_sql_outside_kpis_names_a_rollup_table():
    readers = [
        str(path.relative_to(ROOT))
        for path in modules()
        if path.parts[len(ROOT.parts)] != "kpis" and ROLLUP_TABLES.search(path.read_text())
    ]
    assert readers == []


@pytest.mark.parametrize("app", APPS)
def test_each_app_has_one_initial_migration(app):
    """No installation predates the layout: each app starts from one 0001_initial."""
    migrations = sorted(p.name for p in (ROOT / app / "migrations").glob("0*.py"))
    assert migrations[:1] == ["0001_initial.py"]


def test_installed_apps_list_our_apps_ground_floor_first(settings):
    ours = [app for app in settings.INSTALLED_APPS if app in OURS]
    assert ours == APPS
