"""``culture-logistics route`` and ``culture-logistics solve-vrp``.

``route`` plans a county's daily two-echelon delivery (shared co-delivery, each operator separately, or
both compared) and writes the route plan, driver sheets, map and unserved-stop report;
``solve-vrp`` solves one CVRPLIB, VRPTW or VRPSPD instance with the routing engine.  The commands only parse
arguments, call :mod:`culture_logistics.app.routing` / :mod:`culture_logistics.routing.lkh` (instance files through
:mod:`culture_logistics.formats`) and print.

Exit codes: 0 success (a plan with unserved stops is still a success: they are reported in
unserved.csv), 2 invalid input (bad scenario, bad [[fleet]] entry, bad option, unreadable .vrp
file; nothing written), 1 internal error.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import click

from culture_logistics.cli.errors import fail, guarded
from culture_logistics.cli.gis import export_option, write_exports
from culture_logistics.cli.options import effort_option
from culture_logistics.cli.progress import printer
from culture_logistics.errors import CultureLogisticsError


@click.command(name="route")
@click.argument("scenario", type=str)
@click.option("--mode", type=click.Choice(["shared", "separate", "compare"]), default="compare", show_default=True,
              help="shared: one co-delivery plan from the shared county centre and one station per township; "
                   "separate: every operator its share of the parcels with its own depots and fleet; "
                   "compare: both, and the saving of shared over separate.")
@click.option("--time-limit", "time_limit", type=float, default=None,
              help="Safety cap, solver seconds per routing model of 40+ stops (smaller models get less); solves stop on a "
                   "deterministic work budget, normally long before it "
                   "[default: [routing] time_limit_s, else 10].")
@click.option("--seed", type=int, default=None, help="Solver seed [default: [routing] seed, else 0].")
@effort_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: route_plan.csv, routes_summary.csv, unserved.csv, route_sheets.xlsx, "
                   "summary.json, routes_map.html, routes.gpkg (compare: comparison.csv, summary.json and one folder per mode).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of every output: the driver sheets, the map's labels, comparison.csv and the console "
                   "lines.")
@click.option("--tiles", type=click.Choice(["osm", "amap", "none"]), default="osm", show_default=True,
              help="Map background: OpenStreetMap, Amap/Gaode (data shifted to GCJ-02), or none.")
@click.option("--no-map", is_flag=True, help="Do not write routes_map.html.")
@click.option("--quiet", is_flag=True, help="Do not print a line per routing model.")
@export_option
@click.option("--sharing", is_flag=True,
              help="Also plan every coalition of the carrying operators on the shared network and split the shared "
                   "plan's cost by the Shapley value (coalitions.csv, cost_sharing.csv); always on in compare mode.")
@click.option("--weekly", is_flag=True,
              help="Plan a week: visits per week per village ([routing] min_visits_per_week, parcels_per_visit), "
                   "visit days balanced over the delivery days, and the routes of every day (route_plan.csv, "
                   "routes_summary.csv and unserved.csv gain a last column `day`; visits.csv, week_summary.csv, "
                   "route_sheets_day<N>.xlsx; no map). Only with --mode shared or separate, and without "
                   "--sharing or --export.")
@click.option("--demand-scale", "demand_scale", type=float, default=None,
              help="Multiply every flow (cultural and other parcels, in and out) by this, e.g. 2 for a 双11 peak "
                   "[default: [demand] scale, else 1].")
def route(scenario, mode, time_limit, seed, effort, out_dir, lang, tiles, no_map, quiet, exports, sharing, weekly,
          demand_scale):
    """Daily route plans for SCENARIO (a scenario.toml, or an embedded county code such as 370782)."""
    guarded(_route, scenario, mode, time_limit, seed, out_dir, lang, tiles, no_map, quiet, exports, sharing, weekly,
            demand_scale, effort)


def _route(scenario, mode, time_limit, seed, out_dir, lang, tiles, no_map, quiet, exports=(), sharing=False,
           weekly=False, demand_scale=None, effort=None):

    t0 = time.perf_counter()
    if weekly and exports and mode != "compare":
        raise CultureLogisticsError("--export converts routes.gpkg, which a --weekly plan does not write "
                                    "(route_plan.csv has every day's stops); run without --weekly to export")
    # lazy: the routing stack (pandas, OR-Tools, PyVRP, folium …) loads when a plan is made, not for --help
    from culture_logistics.app.routing import plan_and_write, prepare_routing
    from culture_logistics.reports.console import console_text, day_note, mode_text
    from culture_logistics.reports.notes import group_warnings
    from culture_logistics.reports.routes import summary_lines

    # every option and the [routing] / [[fleet]] entries are checked here, before any work
    req = prepare_routing(scenario, mode, out_dir, time_limit_s=time_limit, seed=seed, weekly=weekly,
                          sharing=sharing or None, map_html=not no_map, tiles=tiles, lang=lang,
                          demand_scale=demand_scale, effort=effort)
    scn = req.scenario
    click.echo(console_text("route_head", lang, adcode=scn.adcode, name=scn.name, mode=mode_text(mode, lang))
               + (console_text("route_weekly", lang) if weekly else "")
               + (console_text("synthetic", lang) if scn.synthetic else ""))
    progress = printer(quiet=quiet, warnings=False, lang=lang)  # the notes are listed below
    res, paths = plan_and_write(req, progress)
    for line in summary_lines(res, lang):
        click.echo(line)
    if weekly:
        notes = res.summary()["warnings"]
        if notes:
            click.echo(console_text("notes_eg", lang, n=len(notes), first=day_note(notes[0], lang)))
        click.echo(console_text("wrote", lang, n=len(paths), out=out_dir, seconds=time.perf_counter() - t0))
        return
    if mode == "compare":
        for name, plan in (("separate", res.separate), ("shared", res.shared)):
            s = plan.summary()
            if s["unserved_stops"]:
                click.echo(console_text("unserved", lang, mode=mode_text(name, lang), n=s["unserved_stops"],
                                        path=out_dir / name / "unserved.csv"))
    plans = [res.separate, res.shared] if mode == "compare" else [res]
    capped = [(p.mode, m) for p in plans for m in p.cap_hit_models()]
    if capped:
        names = ", ".join(f"{md}: {m}" if mode == "compare" else m for md, m in capped[:5])
        more = console_text("cap_more", lang, n=len(capped) - 5) if len(capped) > 5 else ""
        click.echo(console_text("cap_warning", lang, n=len(capped), names=names, more=more), err=True)
    notes = group_warnings([f"{p.mode}: {w}" if mode == "compare" else w for p in plans for w in p.warnings],
                           lang=lang)
    if notes:
        click.echo(console_text("notes_head", lang, n=len(notes)))
        for w in notes[:5]:
            click.echo(f"  - {w}")
        if len(notes) > 5:
            click.echo(console_text("notes_more", lang, n=len(notes) - 5))
    click.echo(console_text("wrote", lang, n=len(paths), out=out_dir, seconds=time.perf_counter() - t0))
    write_exports(out_dir, exports)


@click.command(name="solve-vrp")
@click.argument("vrp_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--time-limit", "time_limit", type=float, default=10.0, show_default=True,
              help="Solver wall-clock seconds (the stop, unless --iterations is given: then a safety cap).")
@click.option("--seed", type=int, default=0, show_default=True, help="Solver seed.")
@click.option("--engine", type=click.Choice(["ortools", "pyvrp"]), default=None,
              help="Routing engine [default: the county engine, PyVRP; see benchmarks/bench_vrp.py].")
@click.option("--iterations", type=int, default=None,
              help="Stop after this many iterations (PyVRP) / solutions (OR-Tools): the same answer on any "
                   "machine, unless the time limit binds first.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"cost": …, "routes": [[customer numbers as in .sol files], …]} (and run details) as JSON.')
@click.option("--format", "fmt", type=click.Choice(["auto", "cvrplib", "cordeau-mdvrp", "cordeau-pvrp", "breunig",
                                                    "perboli"]), default="auto", show_default=True,
              help="The file's format (auto = from its content): cvrplib = CVRPLIB / LKH-3 (by TYPE); Cordeau's "
                   "MDVRP (type 2) / PVRP (type 1); 2E-CVRP in Breunig's .dat or Perboli's format.")
def solve_vrp(vrp_file, time_limit, seed, engine, iterations, as_json, fmt):
    """Solve VRP_FILE: a CVRPLIB instance (TYPE CVRP: rounded Euclidean distances, unlimited fleet) or an
    LKH-3 VRPTW (TYPE CVRPTW) / VRPSPD (TYPE VRPSPD) instance (distances, times and fleet as in LKH-3).
    Routes use .sol numbering (node id − 1, depot excluded); every answer is checked and costed from the
    file alone.  Also Cordeau's MDVRP/PVRP files and 2E-CVRP files (issue 22; unrounded Euclidean distances):
    --json prints cost, feasible and routes as objects (MDVRP {"depot", "stops"}, PVRP {"day", "stops"} and
    visit_days, 2E-CVRP {"echelon": 1, "stops", "unload"} / {"echelon": 2, "satellite", "stops"})."""

    if not time_limit > 0:
        fail(f"error: --time-limit must be > 0 seconds, got {time_limit}")
    if iterations is not None and iterations <= 0:
        fail(f"error: --iterations must be a positive integer, got {iterations}")
    if not vrp_file.exists():
        fail(f"error: {vrp_file}: file not found")
    # lazy: the engines (OR-Tools, PyVRP) load when an instance is solved, not for --help
    from culture_logistics.app.routing import solve_vrp as solve_file

    try:
        res = guarded(solve_file, vrp_file, time_limit_s=time_limit, seed=seed, engine=engine,
                      iterations=iterations, fmt=fmt)
    except ImportError as exc:
        fail(f"error: {exc}")
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False))
        return
    if "problem" in res:  # MDVRP / PVRP / 2E-CVRP: routes are objects
        click.echo(f"{res['instance']} ({res['problem']}): cost {res['cost']:.4f}, "
                   f"{'feasible' if res['feasible'] else 'INFEASIBLE: ' + '; '.join(res['problems'][:3])}, "
                   f"{len(res['routes'])} routes ({res['seconds']:.1f} s of {time_limit:g} s, seed {seed})")
        for r in res["routes"]:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    click.echo(f"{res.get('instance', vrp_file.name)}: cost {res['cost']}, {len(res['routes'])} routes "
               f"({res.get('engine', '')}, {res.get('seconds', float('nan')):.1f} s of {time_limit:g} s, seed {seed})")
    for i, r in enumerate(res["routes"], start=1):
        click.echo(f"Route #{i}: {' '.join(map(str, r))}")
    click.echo(f"Cost {res['cost']}")


@click.group(name="culture-logistics-routing")
def _standalone():
    """The routing commands on their own (``python -m culture_logistics.cli.routing route …``)."""


_standalone.add_command(route)


_standalone.add_command(solve_vrp)


if __name__ == "__main__":  # pragma: no cover - works before the commands are registered on the main group
    _standalone()
