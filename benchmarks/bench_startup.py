"""Benchmark: start-up of the CLI — import time, and wall clock of ``--help``, ``validate`` and ``demo``.

For this checkout and, with ``--baseline REV``, the source of an earlier commit (``git archive REV`` into a
temporary folder, run with its own ``src`` first on ``PYTHONPATH``), side by side:

* ``import culture_logistics.cli.main``: the cumulative import time ``python -X importtime`` reports for it
  (parents and everything they import included) and how many of the stages' heavy libraries it loaded;
* wall clock, median of ``--repeat`` runs, of ``cli.py --help``, ``cli.py route --help``,
  ``cli.py validate <the embedded 诸城市 scenario.toml>`` and ``cli.py demo --quiet`` (in a fresh
  temporary folder each time, report PDF included unless ``--no-pdf``).

Target: ``--help`` well under a second; ``demo`` on the embedded county under 10 s overall (routing, not
start-up, is most of it: see ``[routing]`` in the demo's own timing lines).

Usage::

    python benchmarks/bench_startup.py --baseline 2d6dfc1 [--repeat 3] [--demo-repeat 3] [--no-demo] [--no-pdf]

The machine is shared: read the figures as noisy (the load average is printed before and after).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "networkx", "scipy", "osmnx", "sklearn",
         "matplotlib", "folium", "openpyxl", "ortools", "pyvrp", "dask", "osmium")
SCENARIO = "data/counties/370782/scenario.toml"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _env(tree: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(tree / "src"), PYTHONIOENCODING="utf-8")


def _extract(rev: str, into: Path) -> Path:
    """``git archive REV src cli.py`` unpacked into ``into``; returns that folder."""
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src", "cli.py"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def _import_profile(tree: Path) -> tuple[float, list[str]]:
    """Import time of ``culture_logistics.cli.main`` in a fresh interpreter (s) and the heavy modules loaded."""
    code = ("import sys, culture_logistics.cli.main\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                       env=_env(tree), check=True)
    total = max(int(line.split("|")[1]) for line in p.stderr.splitlines()
                if line.startswith("import time:") and line.split("|")[2].strip() == "culture_logistics.cli.main")
    return total / 1e6, [m for m in p.stdout.strip().split(",") if m]


def _wall(tree: Path, args: list[str], cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(tree / "cli.py"), *args], capture_output=True, text=True,
                       env=_env(tree), cwd=cwd)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{tree}: cli.py {' '.join(args)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return dt


def _median(tree: Path, args: list[str], repeat: int, fresh_cwd: bool = False) -> float:
    runs = []
    for _ in range(repeat):
        if fresh_cwd:
            with tempfile.TemporaryDirectory() as d:
                runs.append(_wall(tree, args, cwd=Path(d)))
        else:
            runs.append(_wall(tree, args))
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=None, metavar="REV", help="git revision to compare with (e.g. 2d6dfc1)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command (median) [3]")
    ap.add_argument("--demo-repeat", type=int, default=3, help="runs of demo (median) [3]")
    ap.add_argument("--no-demo", action="store_true", help="skip demo (about 1-2 minutes a run on a busy machine)")
    ap.add_argument("--no-pdf", action="store_true", help="demo --no-pdf")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT}
        if a.baseline:
            trees = {f"baseline {a.baseline}": _extract(a.baseline, Path(tmp) / "baseline"), **trees}
        print(f"load average before: {_load()} (2 cores, shared: figures are noisy)")
        rows: dict[str, dict[str, str]] = {}
        for label, tree in trees.items():
            seconds, heavy = _import_profile(tree)
            col = rows.setdefault(label, {})
            col["import cli.main (-X importtime)"] = f"{seconds:.2f} s"
            col["heavy libraries loaded by it"] = f"{len(heavy)} of {len(HEAVY)}"
            col["--help (wall, median)"] = f"{_median(tree, ['--help'], a.repeat):.2f} s"
            col["route --help"] = f"{_median(tree, ['route', '--help'], a.repeat):.2f} s"
            col["validate 370782"] = f"{_median(tree, ['validate', str(tree / SCENARIO)], a.repeat):.2f} s"
            if not a.no_demo:
                args = ["demo", "--quiet"] + (["--no-pdf"] if a.no_pdf else [])
                col["demo" + (" --no-pdf" if a.no_pdf else "")] = \
                    f"{_median(tree, args, a.demo_repeat, fresh_cwd=True):.1f} s"
        print(f"load average after:  {_load()}")
        labels = list(rows)
        width = max(len(k) for k in rows[labels[0]])
        print(f"{'':<{width}}  " + "  ".join(f"{lab:>18}" for lab in labels))
        for key in rows[labels[0]]:
            print(f"{key:<{width}}  " + "  ".join(f"{rows[lab][key]:>18}" for lab in labels))


if __name__ == "__main__":
    main()
