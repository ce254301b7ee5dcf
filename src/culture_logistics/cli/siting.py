"""``culture-logistics site``: choose the shared village service points that close the coverage gaps.

The command only parses arguments, calls :func:`culture_logistics.app.siting.run_siting` (which solves and
writes) and prints a short report.  A user mistake (bad
scenario, K larger than the candidates, a budget that buys nothing …) prints one clear message and
exits with code 2; nothing is written.
"""
from __future__ import annotations

from pathlib import Path

import click

from culture_logistics.cli.errors import guarded
from culture_logistics.cli.gis import export_option, write_exports
from culture_logistics.cli.progress import printer


@click.command(name="site")
@click.argument("scenario", type=str)
@click.option("--model", type=click.Choice(["mclp", "lscp", "pmedian"]), default="mclp", show_default=True,
              help="mclp: at most K sites / a budget, most people newly reached; lscp: fewest (or cheapest) "
                   "sites reaching every reachable gap village; pmedian: K sites, least population-weighted distance.")
@click.option("--k", "k", type=int, default=None, help="At most this many sites (mclp, pmedian).")
@click.option("--budget", type=float, default=None,
              help="Total cost at most this many CNY (mclp, pmedian; for lscp a cap on the cover's cost).")
@click.option("--capacitated", is_flag=True,
              help="Assign villages to sites within each site's capacity (parcels/week).")
@click.option("--minimize", type=click.Choice(["count", "cost"]), default="count", show_default=True,
              help="lscp: fewest sites, or cheapest (CNY).")
@click.option("--time-limit", "time_limit", type=float, default=None,
              help="Solver time limit in seconds [default: [siting] time_limit_s, else 60].")
@click.option("--radius", "radius_m", type=float, default=None,
              help="Reach radius along the network in metres [default: [siting] radius_m, else [coverage] radius_m].")
@click.option("--solver", type=click.Choice(["scip", "highs"]), default="scip", show_default=True,
              help="MIP solver bundled with OR-Tools.")
@click.option("--no-map", is_flag=True, help="Do not write siting_map.html.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of every output: siting.xlsx's headers and values and the map's labels.")
@click.option("--quiet", is_flag=True, help="Do not print a progress line per step.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder (sites.csv, assignment.csv, gaps_after.csv, summary.json, siting.xlsx, "
                   "siting_map.html, siting.gpkg).")
@export_option
def site(scenario, model, k, budget, capacitated, minimize, time_limit, radius_m, solver, no_map, lang, quiet,
         out_dir, exports):
    """Choose shared village service points for SCENARIO (a scenario.toml, or an embedded county code), proven optimal or with the gap."""
    guarded(_run, scenario, model, k, budget, capacitated, minimize, time_limit, radius_m, solver, no_map,
            out_dir, lang, quiet, exports)


def _run(scenario, model, k, budget, capacitated, minimize, time_limit, radius_m, solver, no_map, out_dir,
         lang="en", quiet=False, exports=()):

    # lazy: the siting stack (pandas, OR-Tools MIP, folium …) loads when sites are chosen, not for --help
    from culture_logistics.app.siting import run_siting
    from culture_logistics.reports.console import console_text, objective_unit_text

    progress = printer(quiet=quiet, lang=lang)
    res, paths = run_siting(scenario, out_dir, model=model, k=k, budget=budget, capacitated=capacitated,
                            minimize=minimize, time_limit_s=time_limit, radius_m=radius_m, solver=solver,
                            map_html=not no_map, lang=lang, progress=progress)
    scn = res.scenario
    s = res.summary()
    b, a = s["before"], s["after"]
    proof = (console_text("site_optimal", lang) if s["optimal"]
             else console_text("site_gap", lang, gap=100 * s["gap"]))
    click.echo(console_text("site_head", lang, adcode=scn.adcode, name=scn.name, model=s["model"])
               + (console_text("site_k", lang, k=s["k"]) if s["k"] is not None else "")
               + (console_text("site_budget", lang, budget=s["budget"]) if s["budget"] is not None else "")
               + console_text("site_radius", lang, radius=s["radius_m"]))
    if scn.synthetic:
        click.echo(console_text("site_synthetic", lang))
    click.echo(console_text("site_gaps", lang, gaps=s["gap_villages"], none=s["gap_villages_no_candidate"]))
    click.echo(console_text("site_villages", lang, before=b["villages_reached"], after=a["villages_reached"],
                            total=b["villages"]))
    click.echo(console_text("site_people", lang, before=b["population_reached"], after=a["population_reached"],
                            total=b["population"]))
    click.echo(console_text("site_sites", lang, sites=s["sites"], existing=s["sites_existing"], new=s["sites_new"],
                            cost=s["total_cost"]))
    click.echo(console_text("site_objective", lang, objective=s["objective"], unit=objective_unit_text(s["objective_unit"], lang),
                            bound=s["bound"], proof=proof, seconds=s["solve_seconds"]))
    click.echo(console_text("site_wrote", lang, files=", ".join(p.name for p in paths.values()), out=out_dir))
    write_exports(out_dir, exports)
