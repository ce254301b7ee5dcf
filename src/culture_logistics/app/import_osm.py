"""``culture-logistics import-osm``: an OpenStreetMap extract and a county code to a checked scenario folder.

The importer itself is :func:`culture_logistics.inputs.osm.build.import_osm` (it reads, builds, validates and
only then writes); this module is the command's entry point in the application layer.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from culture_logistics.inputs.osm import DEFAULT_BUFFER_M
from culture_logistics.inputs.osm.build import ImportResult, import_osm


def run_import(extract: str | Path, county: str, out_dir: str | Path, villages_file: str | Path | None = None,
               facilities_file: str | Path | None = None, buffer_m: float = DEFAULT_BUFFER_M,
               progress: Callable[[str, int], None] | None = None) -> ImportResult:
    """Import county ``county`` (6-digit NBS code) from ``extract`` (.osm.pbf, .osm or .osm.bz2) into ``out_dir``.

    ``villages_file`` / ``facilities_file`` replace the OSM places / POIs; ``buffer_m`` metres are kept around
    the county boundary; ``progress(stage, count)`` is called as the extract is streamed.  Returns the
    importer's result (counts, notes, validation warnings, the paths written).
    """
    return import_osm(extract, county, out_dir, villages_file=villages_file, facilities_file=facilities_file,
                      buffer_m=buffer_m, progress=progress)
