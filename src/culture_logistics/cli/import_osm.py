"""``culture-logistics import-osm``: an OpenStreetMap extract and a county code to a scenario folder.

The command only parses arguments, calls :func:`culture_logistics.app.import_osm.run_import` and
prints what it wrote.  A user mistake prints one clear message and exits with code 2; nothing is
written to ``--out`` unless the whole folder passes ``validate``.
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from culture_logistics.cli.errors import guarded
from culture_logistics.inputs.osm import DEFAULT_BUFFER_M


@click.command(name="import-osm")
@click.argument("extract", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--county", "county", required=True, help="6-digit NBS county code, e.g. 360681 (贵溪市).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Scenario folder to write: scenario.toml, villages.csv, facilities.csv, roads.gpkg, "
                   "townships.csv, import_report.csv, import_report.md.")
@click.option("--villages", "villages_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Villages CSV (code,name,township_code,lon,lat,population) used instead of OSM places.")
@click.option("--facilities", "facilities_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Facilities CSV (id,name,operator,tier,lon,lat[,brand,capacity_per_day]) used instead of OSM POIs.")
@click.option("--buffer-m", "buffer_m", type=float, default=DEFAULT_BUFFER_M, show_default=True,
              help="Metres kept around the county boundary.")
def import_osm_cmd(extract, county, out_dir, villages_file, facilities_file, buffer_m):
    """Import county --county from EXTRACT (.osm.pbf, .osm or .osm.bz2; streamed)."""
    guarded(_run, extract, county, out_dir, villages_file, facilities_file, buffer_m)


def _run(extract, county, out_dir, villages_file, facilities_file, buffer_m):
    # lazy: the importer (pyosmium, geopandas, the scenario readers) loads when an extract is read, not for --help
    from culture_logistics.app.import_osm import run_import

    t0 = time.perf_counter()

    def progress(stage, count):
        click.echo(f"  read {count:,} {stage} ({time.perf_counter() - t0:.1f} s)", err=True)

    res = run_import(extract, county, out_dir, villages_file=villages_file, facilities_file=facilities_file,
                     buffer_m=buffer_m, progress=progress)
    s = res.stats
    click.echo(f"Imported {county} from {Path(extract).name}: {s['ways_kept']:,} drivable ways "
               f"({s['ways_cut']:,} cut at missing nodes), {res.villages:,} villages, {res.facilities:,} facilities, "
               f"{res.townships_with_point:,} township points")
    for note in res.notes:
        click.echo(f"  note: {note}")
    if res.warnings:
        click.echo(f"  {len(res.warnings)} validation warning(s); see import_report.md")
    click.echo(f"Wrote {len(res.paths)} files to {out_dir} in {time.perf_counter() - t0:.1f} s "
               f"(data © OpenStreetMap contributors, ODbL)")


if __name__ == "__main__":
    import_osm_cmd()
