#!/usr/bin/env python
"""Writing the route outputs of one fixed plan: per file kind and in total, beside the figures before.

    PYTHONPATH=src python benchmarks/bench_writes.py [--repeat 3] [--plan /tmp/zhucheng_compare.pkl]

The plan is the one ``route 370782 --mode compare`` makes (诸城: separate, shared and 邮快合作, with the
Shapley cost sharing), solved once — it stops on its deterministic work budget, so it is the same plan
every time — and kept in ``--plan`` (a pickle; solved and saved there when the file does not exist,
which takes a minute or two).  Then, ``--repeat`` times, every plan's road lines are dropped and:

* each plan's files are built and written one kind at a time (wall and CPU seconds, summed over the
  three plans): the three CSV tables, ``route_sheets.xlsx``, ``summary.json``, ``routes_map.html`` (the
  first to need the road lines, so it pays for them), ``routes.gpkg``;
* :func:`culture_logistics.reports.routes.write_comparison` writes the whole folder (26 files), as
  ``route --mode compare`` does after solving.

Medians are printed beside ``BEFORE``: the same benchmark run on commit 2d6dfc1 (before the writing was
made faster), ``PYTHONPATH=<that checkout>/src``.  The machine is shared (2 cores, other jobs): read the
figures as noisy; the load average is printed before and after, and CPU seconds move less than wall.
"""
from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from culture_logistics.config.routing import RoutingParams
from culture_logistics.inputs.datasets import resolve_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports import routes as R
from culture_logistics.reports.gis import route_layers, write_gpkg
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.workbooks import write_xlsx
from culture_logistics.reports.writers import atomic_write_text, write_csv, write_json
from culture_logistics.routing.compare import compare_modes
from culture_logistics.routing.sharing import share_costs
from culture_logistics.routing.weekly import visits_summary

COUNTY = "370782"

#: medians of 3 on commit 2d6dfc1 (this benchmark run with PYTHONPATH=<that checkout>/src), load average 5.1 → 4.7
#: on the 2 cores, just before the same run on this checkout at 4.5 → 4.3 (wall s, CPU s)
BEFORE = {
    "csv (3 tables x 3 plans)": (0.15, 0.06),
    "route_sheets.xlsx x 3": (1.45, 0.85),
    "summary.json x 3": (0.10, 0.05),
    "routes_map.html x 3": (1.51, 0.96),
    "routes.gpkg x 3": (0.31, 0.11),
    "write_comparison (26 files)": (4.07, 2.35),
}


def _plan(path: Path):
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    scn = load_scenario(resolve_scenario(COUNTY))
    params = RoutingParams.from_scenario(scn)
    cmp = compare_modes(scn, params)
    cmp.cost_sharing = share_costs(scn, params, shared_plan=cmp.shared)
    with open(path, "wb") as fh:
        pickle.dump(cmp, fh)
    return cmp


def _forget_lines(plans) -> None:
    for plan in plans:
        plan.__dict__.pop("_lines", None)


class _Clock:
    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, key, fn, *args, **kw):
        w, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kw)
        self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - w
        self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - c
        return out


def _per_kind(cmp, out: Path) -> _Clock:
    t = _Clock()
    for mode, plan in (("separate", cmp.separate), ("shared", cmp.shared), ("postal_courier", cmp.postal_courier)):
        folder = out / mode
        folder.mkdir(parents=True)

        def tables(plan=plan, folder=folder):
            for name, table in (("route_plan", plan.plan_table), ("routes_summary", plan.routes_table),
                                ("unserved", plan.unserved_table)):
                write_csv(table(), folder / f"{name}.csv")

        t("csv (3 tables x 3 plans)", tables)
        t("route_sheets.xlsx x 3", lambda plan=plan, folder=folder: write_xlsx(
            R.route_sheets(plan), folder / "route_sheets.xlsx", text_columns=R._TEXT_COLS))
        t("summary.json x 3", lambda plan=plan, folder=folder: write_json(
            plan.summary() | {"visits_per_week": visits_summary(plan.scenario, plan.params)}, folder / "summary.json"))
        t("routes_map.html x 3", lambda plan=plan, folder=folder: atomic_write_text(
            folder / "routes_map.html", maps.render_map(R.routes_map(plan, tiles="osm", lang="en"))))
        t("routes.gpkg x 3", lambda plan=plan, folder=folder: write_gpkg(route_layers(plan), folder / "routes.gpkg"))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plan", type=Path, default=Path(tempfile.gettempdir()) / f"bench_writes_{COUNTY}.pkl")
    args = ap.parse_args()
    cmp = _plan(args.plan)
    plans = [cmp.separate, cmp.shared, cmp.postal_courier]
    load0 = os.getloadavg()
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            _forget_lines(plans)
            t = _per_kind(cmp, Path(tmp) / f"kinds{k}")
            _forget_lines(plans)
            out = Path(tmp) / f"all{k}"
            t("write_comparison (26 files)", R.write_comparison, cmp, out)
            for key in t.wall:
                walls.setdefault(key, []).append(t.wall[key])
                cpus.setdefault(key, []).append(t.cpu[key])
            shutil.rmtree(Path(tmp) / f"kinds{k}")
    load1 = os.getloadavg()
    print(f"{COUNTY} route outputs, median of {args.repeat} (load average {load0[0]:.1f} before, {load1[0]:.1f} after)")
    print(f"{'':32}{'wall s':>9}{'CPU s':>8}{'before wall':>13}{'before CPU':>12}{'speed-up':>10}")
    for key in walls:
        w, c = statistics.median(walls[key]), statistics.median(cpus[key])
        bw, bc = BEFORE.get(key, (None, None))
        up = f"{bw / w:.1f}x" if bw else ""
        print(f"{key:32}{w:9.2f}{c:8.2f}{bw if bw is not None else '':>13}{bc if bc is not None else '':>12}{up:>10}")


if __name__ == "__main__":
    main()
