"""Start-up: the CLI and the package import only what a command uses.

Each check runs in a fresh interpreter (a subprocess) and reads ``sys.modules`` there, so an import pulled
in by any test run before it cannot hide a regression.  Timings are not asserted here: they live in
``benchmarks/bench_startup.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

# the libraries of the stages: none of them may load for `--help`
HEAVY = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "networkx", "scipy", "osmnx", "sklearn",
         "matplotlib", "folium", "openpyxl", "ortools", "pyvrp", "dask", "osmium")
COMMANDS = ["batch", "coverage", "datasets", "demo", "import-osm", "report", "route", "site", "solve-vrp",
            "validate"]


def _loaded_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; return what it prints last (JSON) and the heavy modules loaded."""
    probe = (f"import sys, json\n{code}\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _heavy(stdout: str) -> list[str]:
    return json.loads(stdout.strip().splitlines()[-1])


def test_import_cli_main_loads_no_stage_library():
    assert _heavy(_loaded_after("import culture_logistics.cli.main")) == []


def test_import_package_loads_no_stage_library():
    out = _loaded_after("import culture_logistics as cl\n"
                        "try:\n    cl.no_such_name\nexcept AttributeError as e:\n    print('AttributeError', e)\n"
                        "assert set(cl.__all__) <= set(dir(cl))\n")
    assert out.splitlines()[0] == "AttributeError module 'culture_logistics' has no attribute 'no_such_name'"
    assert _heavy(out) == []


@pytest.mark.slow
def test_the_package_names_still_resolve_to_the_stages():
    out = _loaded_after("import culture_logistics as cl\n"
                        "from culture_logistics.routing.plan import plan_routes\n"
                        "from culture_logistics.inputs.scenario import Scenario\n"
                        "assert cl.plan_routes is plan_routes and cl.Scenario is Scenario\n"
                        "missing = [n for n in cl.__all__ if not hasattr(cl, n)]\n"
                        "assert not missing, missing\n"
                        "from culture_logistics import *  # noqa: F403\n"
                        "assert compare_modes is cl.compare_modes  # noqa: F405\n")
    assert {"pandas", "ortools", "folium"} <= set(_heavy(out))  # the stages load once asked for


def test_help_and_every_command_help_load_no_stage_library():
    code = ("from culture_logistics.cli import main\n"
            f"for args in [['--help']] + [[c, '--help'] for c in {COMMANDS!r}]:\n"
            "    try:\n        main.main(args, prog_name='culture-logistics')\n"
            "    except SystemExit as e:\n        assert e.code == 0, (args, e.code)\n")
    out = _loaded_after(code)
    assert _heavy(out) == []
    section = out.split("Commands:\n")[1].split("Usage:")[0]
    listed = [line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()]
    assert listed == COMMANDS                               # every command listed, sorted, without importing it
    for c in COMMANDS:
        assert f"Usage: culture-logistics {c} [OPTIONS]" in out


def test_unknown_command_is_a_usage_error():
    p = run_cli("nosuch")
    assert p.returncode == 2 and "No such command 'nosuch'" in p.stderr


@pytest.mark.slow
def test_validate_takes_an_embedded_county_code_and_loads_no_solver_or_map():
    code = ("from culture_logistics.cli import main\n"
            "try:\n    main.main(['validate', '370782'], prog_name='culture-logistics')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n")
    out = _loaded_after(code)
    assert out.startswith("370782: valid\nCounty 370782 诸城市: 14 townships, 259 villages")
    # reading a scenario needs the table and graph libraries, none of the solvers, maps, workbooks or osmnx
    assert set(_heavy(out)) == {"numpy", "pandas", "geopandas", "shapely", "pyproj", "networkx", "scipy"}


@pytest.mark.slow
@pytest.mark.parametrize("modules, absent", [
    # coverage: tables, graph, maps and workbooks, but no solver
    (["culture_logistics.inputs.scenario", "culture_logistics.reports.coverage"],
     {"ortools", "pyvrp", "osmnx", "sklearn", "matplotlib", "dask", "osmium"}),
    # site: the MIP solver of OR-Tools, no routing engine
    (["culture_logistics.inputs.scenario", "culture_logistics.reports.siting", "culture_logistics.siting.solve"],
     {"pyvrp", "osmnx", "sklearn", "matplotlib", "dask", "osmium"}),
    # demo: every stage, still no osmnx (only for .osm/.graphml roads), Dask or pyosmium
    (["culture_logistics.app.demo"], {"osmnx", "sklearn", "matplotlib", "dask", "osmium"}),
])
def test_each_command_imports_only_what_its_stage_uses(modules, absent):
    loaded = set(_heavy(_loaded_after("import importlib\n" + "\n".join(
        f"importlib.import_module({m!r})" for m in modules))))
    assert loaded & absent == set()
    assert "pandas" in loaded and "folium" in loaded       # the probe does see what the stage needs


def test_validate_warns_when_every_population_is_zero(tmp_path):
    """A county whose 8 villages all have population 0 is not silently "valid": one warning names the file,
    the column and the count; with conftest's populations (1,000 … 8,000) there is no such warning."""
    from conftest import default_villages, write_scenario

    zero = [",".join(r.split(",")[:-1] + ["0"]) for r in default_villages()]
    p = run_cli("validate", write_scenario(tmp_path / "zero", villages=zero))
    assert p.returncode == 0, p.stderr
    assert "valid, with 1 warning(s)" in p.stdout
    out = p.stdout + p.stderr
    assert "every village's population is missing or 0 (8 villages)" in out and "villages.csv" in out
    ok = run_cli("validate", write_scenario(tmp_path / "ok"))
    assert ok.returncode == 0 and "population is missing" not in ok.stdout + ok.stderr
    assert "valid" in ok.stdout and "warning" not in ok.stdout


@pytest.mark.parametrize("lang", [None, "en"])
def test_one_language_per_run(tmp_path, lang):
    """``--lang`` defaults to Chinese: the console lines, the driver sheets and comparison.csv of one run are all
    Chinese; with ``--lang en`` all English (place names are data and stay as they are)."""
    from openpyxl import load_workbook

    from conftest import write_scenario

    scn = write_scenario(tmp_path / "c")
    opt = [] if lang is None else ["--lang", lang]
    cov = run_cli("coverage", scn, *opt, "--no-map", "--out", tmp_path / "cov")
    assert cov.returncode == 0, cov.stderr
    rt = run_cli("route", scn, *opt, "--mode", "shared", "--time-limit", "0.3", "--no-map", "--quiet",
                 "--out", tmp_path / "rt")
    assert rt.returncode == 0, rt.stderr
    wb = load_workbook(tmp_path / "rt" / "route_sheets.xlsx")
    cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    if lang is None:
        assert "全部运营方覆盖" in cov.stdout and "reached by every carrier" not in cov.stdout
        assert rt.stdout.splitlines()[1].startswith("共同配送：") and "vehicles" not in rt.stdout
        assert wb.sheetnames[0] == "总览" and "签收" in cells and "Signature" not in cells
    else:
        assert "reached by every carrier" in cov.stdout and "全部运营方覆盖" not in cov.stdout
        assert rt.stdout.splitlines()[1].startswith("shared: ") and "辆车" not in rt.stdout
        assert wb.sheetnames[0] == "Overview" and "Signature" in cells and "签收" not in cells
    assert "light_van" not in cells and "supply_coop" not in cells
