"""The ``--export kml,geojson-gcj02`` option shared by ``coverage``, ``site`` and ``route``.

The stage itself always writes its GeoPackage (``coverage.gpkg``, ``siting.gpkg``, ``routes.gpkg``);
this option converts it into KML (Google Earth) and GCJ-02 GeoJSON (Amap) beside it
(:func:`culture_logistics.reports.gis.export_gis`).  A bad value is refused before anything runs.
"""
from __future__ import annotations

import click

from culture_logistics.reports.export_formats import EXPORTS, GisExportError, parse_exports


def _parse(ctx, param, value):
    try:
        return parse_exports(value)
    except GisExportError as e:
        raise click.BadParameter(str(e).removeprefix("--export: "), ctx=ctx, param=param) from None


export_option = click.option(
    "--export", "exports", default="", metavar="FORMATS", callback=_parse,
    help=f"Also write the stage's GeoPackage as {' and '.join(EXPORTS)} (comma-separated): <stage>.kml for "
         "Google Earth, <stage>.gcj02.geojson (coordinates shifted to GCJ-02) for Amap.")


def write_exports(out_dir, exports) -> None:
    """Convert the stage's GeoPackage(s) in ``out_dir``; print one line naming the files."""
    from culture_logistics.reports.gis import export_gis  # lazy: geopandas/pyogrio, only when converting

    paths = export_gis(out_dir, exports)
    if paths:
        click.echo(f"  GIS exports: {', '.join(str(p.relative_to(out_dir)) for p in paths)}")
