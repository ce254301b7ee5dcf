"""The ``--export`` formats and their parser, apart from :mod:`culture_logistics.reports.gis`.

The CLI builds its ``--export`` option from these before any command runs, so this module imports
nothing heavy (the conversions themselves, with geopandas and pyogrio, are in :mod:`~culture_logistics.reports.gis`).
"""
from __future__ import annotations

from culture_logistics.errors import CultureLogisticsError

#: the formats ``--export`` accepts (comma-separated)
EXPORTS = ("kml", "geojson-gcj02")


class GisExportError(CultureLogisticsError):
    """A bad ``--export`` value."""


def parse_exports(text: str | None) -> tuple[str, ...]:
    """``"kml,geojson-gcj02"`` → ``("kml", "geojson-gcj02")``; ``None``/``""`` → ``()``.

    Raises :class:`GisExportError` naming the unknown format and the valid ones.
    """
    if not text:
        return ()
    out = []
    for part in str(text).split(","):
        p = part.strip().lower()
        if not p:
            continue
        if p not in EXPORTS:
            raise GisExportError(f"--export: unknown format {part.strip()!r}; choose from {', '.join(EXPORTS)} "
                                 "(comma-separated, e.g. --export kml,geojson-gcj02)")
        if p not in out:
            out.append(p)
    return tuple(out)
