"""``culture-logistics coverage``: which villages the network reaches, by whom, and where the gaps are.

The command only parses arguments, calls :func:`culture_logistics.app.coverage.run_coverage`
and prints a short summary.  A user mistake (bad scenario, bad radius, --out naming a file) prints
one clear message and exits with code 2; every output is computed before the first file is written.
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from culture_logistics.cli.errors import guarded
from culture_logistics.cli.gis import export_option, write_exports


@click.command(name="coverage")
@click.argument("scenario", type=str)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: village_reach.csv, township_reach.csv, gaps.csv, summary.json, "
                   "village_reach.xlsx, coverage_map.html, coverage.gpkg.")
@click.option("--radius", "radius_m", type=float, default=None,
              help="Coverage radius along the road network, metres [default: [coverage] radius_m, else 3000].")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of every output: the workbook headers/values, the map's labels and the console lines.")
@click.option("--tiles", type=click.Choice(["osm", "amap", "none"]), default="osm", show_default=True,
              help="Map background: OpenStreetMap, Amap/Gaode (data shifted to GCJ-02), or none (blank).")
@click.option("--no-map", is_flag=True, help="Do not write coverage_map.html.")
@export_option
def coverage(scenario, out_dir, radius_m, lang, tiles, no_map, exports):
    """Village reach of SCENARIO (a scenario.toml, or an embedded county code such as 370782)."""
    guarded(_run, scenario, out_dir, radius_m, lang, tiles, no_map, exports)


def _run(scenario, out_dir, radius_m, lang, tiles, no_map, exports=()):

    t0 = time.perf_counter()
    # lazy: the coverage stack (pandas, geopandas, folium …) loads when coverage runs, not for --help
    from culture_logistics.app.coverage import run_coverage
    from culture_logistics.reports.console import console_text
    from culture_logistics.reports.coverage import summary_lines

    report, paths = run_coverage(scenario, out_dir, radius_m=radius_m, lang=lang, tiles=tiles, with_map=not no_map)
    t_load = report.timings_s["load"]
    for line in summary_lines(report, lang):
        click.echo(line)
    size = ""
    if "coverage_map.html" in paths:
        size = console_text("map_size", lang, mb=paths["coverage_map.html"].stat().st_size / 1e6)
    click.echo(console_text("wrote_coverage", lang, n=len(paths), out=out_dir, size=size,
                            seconds=time.perf_counter() - t0, load=t_load))
    write_exports(out_dir, exports)


if __name__ == "__main__":  # `python -m culture_logistics.cli.coverage …` before the command is registered
    coverage()
