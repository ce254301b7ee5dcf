"""The province map: counties shaded by reach rate, linked to their coverage maps.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import shapely

from culture_logistics.geo import boundary as boundary
from culture_logistics.reports.maps.base import (
    add_geojson,
    add_legend,
    add_note,
    add_points,
    base_map,
    feature_group,
    popup_html,
    swatch_circle,
    swatch_fill,
    swatch_line,
)
from culture_logistics.reports.numbers import pct_text


class CountyOnMap(Protocol):
    """What the province map reads of a county's outcome (``culture_logistics.batch.county.CountyOutcome`` has
    it): the code and name, ``"ok"``/``"failed"``, its ``province_reach.csv`` row (text values), the failure
    row (or ``None``) and the (lon, lat) centre of its villages (or ``None``).  A protocol, so that this layer
    does not import the batch one above it."""

    adcode: str
    name: str
    status: str
    row: dict
    failure: dict | None
    centre: list | None


#: reach-rate classes of the province map: [lo, hi), the last including 1.0 — finer than the coverage map's
#: township classes at the top, where counties differ (the national target is ~95 % of villages reached)
PROVINCE_RATE_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


PROVINCE_RATE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")  # ColorBrewer RdYlGn-6


#: simplification of county polygons on the province map (degrees; 0.004° ≈ 400 m)
MAP_SIMPLIFY_DEG = 0.004


MAP_DECIMALS = 3




FAILED_COLOR = "#6b6b6b"


def _county_shape(adcode: str, use_geotool: bool = True):
    """(geometry, source) to draw: the geotool-cn polygon simplified hard, else the bbox, else (None, "")."""


    geom, source = boundary.county_extent(adcode, use_geotool=use_geotool)
    if geom is None:
        return None, ""
    if source == "geotool-cn":
        geom = shapely.simplify(geom, MAP_SIMPLIFY_DEG, preserve_topology=True)
    geom = shapely.set_precision(geom, 10 ** -MAP_DECIMALS)
    if geom.is_empty:  # a tiny county collapsed by the rounding: keep its box
        geom, source = boundary.county_extent(adcode, use_geotool=False)
    return geom, source


def province_map(outcomes: Sequence[CountyOnMap], out_dir: str | Path, tiles: str = "osm",
                 use_geotool: bool = True):
    """The province map (a folium.Map): counties shaded by reach rate, each linking to its coverage map.

    Counties are the geotool-cn polygons simplified to ``MAP_SIMPLIFY_DEG`` and rounded to
    ``MAP_DECIMALS`` decimals (a small page); a county with only a bounding box is drawn as that box
    (dashed); a functional zone (no polygon) as a dot at the mean of its villages.  Colours are the
    ``PROVINCE_RATE_BINS`` classes; grey: failed.  A county's popup gives its figures and a relative
    link ``<adcode>/coverage_map.html``; hovering shows name and reach rate.

    The layers are created in drawing order — a layer added later is
    drawn on top and takes the click — and the legend counts what the layers drew; split up, the order
    and the counts would be spread over helpers passing a dozen arrays.
    """


    RATE_BINS, RATE_COLORS = PROVINCE_RATE_BINS, PROVINCE_RATE_COLORS

    def rate_class(rate: float) -> int:
        return int(min(np.searchsorted(RATE_BINS, rate, side="right") - 1,  # type: ignore[call-overload]
                       len(RATE_COLORS) - 1))

    out_dir = Path(out_dir)
    styles = []
    for c in RATE_COLORS:
        styles.append({"color": "#444444", "weight": 1, "fillColor": c, "fillOpacity": 0.7})
    styles.append({"color": "#444444", "weight": 1, "fillColor": FAILED_COLOR, "fillOpacity": 0.6})
    n_classes = len(RATE_COLORS)
    styles += [dict(s, dashArray="5 4", weight=1.5) for s in list(styles)]  # bbox variants

    shapes, shape_style, shape_pop, shape_tip = [], [], [], []
    zones_lon, zones_lat, zone_style, zone_pop, zone_tip = [], [], [], [], []
    n_bbox = 0
    xs, ys = [], []
    for o in sorted(outcomes, key=lambda o: o.adcode):
        row = o.row
        ok = o.status == "ok" and row.get("reach_rate", "") != ""
        cls = rate_class(float(row["reach_rate"])) if ok else n_classes
        rate_txt = pct_text(float(row['reach_rate'])) if ok else "failed"
        link = ""
        if ok and (out_dir / o.adcode / "coverage_map.html").exists():
            href = html.escape(f"{o.adcode}/coverage_map.html", quote=True)
            link = f'<div style="margin-top:4px"><a href="{href}" target="_blank">Open the coverage map →</a></div>'
        rows = [("Code", o.adcode), ("Reach rate (every operator)", rate_txt),
                ("Villages reached", f"{int(row['villages_reached']):,} / {int(row['villages']):,}" if ok else ""),
                ("Population reached", f"{int(row['population_reached']):,} / {int(row['population']):,}" if ok else ""),
                ("Sites chosen (MCLP, at most K)", row.get("sites_mclp", "")),
                ("Sites to reach every gap village (LSCP)", row.get("sites_lscp", row.get("sites_proposed", ""))),
                ("Shared saving %", row.get("shared_saving_pct", "")),
                ("Data", f"{row.get('data', '')}" + (" (synthetic)" if row.get("synthetic") == "true" else "")),
                ("Boundary", row.get("boundary_source", ""))]
        if o.failure:
            rows.append(("Failed at", f"{o.failure['step']}: {o.failure['error_type']}"))
        pop = popup_html(f"{o.name} ({o.adcode})", rows) + link
        tip = f"{o.name} {o.adcode}: {rate_txt}"
        geom, source = _county_shape(o.adcode, use_geotool)
        if geom is not None:
            shapes.append(geom)
            shape_style.append(cls + (n_classes + 1 if source == "bbox" else 0))
            shape_pop.append(pop)
            shape_tip.append(tip)
            n_bbox += source == "bbox"
            b = geom.bounds
            xs += [b[0], b[2]]
            ys += [b[1], b[3]]
        elif o.centre:
            zones_lon.append(o.centre[0])
            zones_lat.append(o.centre[1])
            zone_style.append(cls)
            zone_pop.append(pop + '<div class="note" style="color:#555;font-size:11px">Functional zone: no boundary '
                                  'of its own; its data were built on a synthetic disc.</div>')
            zone_tip.append(tip)
            xs.append(o.centre[0])
            ys.append(o.centre[1])
    if not xs:

        for o in outcomes:  # nothing drawable: frame the province by whatever bboxes exist
            bb = boundary.county_bbox(o.adcode)
            if bb:
                xs += [bb[0], bb[2]]
                ys += [bb[1], bb[3]]
    if not xs:
        xs, ys = [114.8, 122.7], [34.4, 38.4]  # Shandong
    ok = [o for o in outcomes if o.status == "ok" and o.row.get("villages")]
    vil = sum(int(o.row["villages"]) for o in ok)
    reached = sum(int(o.row["villages_reached"]) for o in ok)
    subtitle = (f"{len(ok)} of {len(outcomes)} counties planned; {reached:,} of {vil:,} villages reached by every "
                f"operator ({pct_text(reached / vil)})" if vil else f"{len(outcomes)} counties; none planned")
    m = base_map(None, "Village reach by county", tiles=tiles, subtitle=subtitle,
                 bounds=(min(xs) - 0.05, min(ys) - 0.05, max(xs) + 0.05, max(ys) + 0.05))
    if shapes:
        fg = feature_group(m, "Counties: village reach rate")
        add_geojson(fg, shapes, styles, shape_style, popups=shape_pop, tooltips=shape_tip, kind="county")
    if zones_lon:
        zg = feature_group(m, "Functional zones (no boundary)")
        zstyles = [{"radius": 7, "color": "#222222", "weight": 1.5, "fillColor": s["fillColor"], "fillOpacity": 0.9}
                   for s in styles[: n_classes + 1]]
        add_points(zg, zones_lon, zones_lat, zstyles, zone_style, popups=zone_pop, tooltips=zone_tip, kind="zone")
    labels = []
    for i, c in enumerate(RATE_COLORS):
        lo, hi = RATE_BINS[i], RATE_BINS[i + 1]
        labels.append((swatch_fill(c, 0.7), f"{lo:.0%}–{hi:.0%}" + (" (incl.)" if i == len(RATE_COLORS) - 1 else "")))
    labels.append((swatch_fill(FAILED_COLOR, 0.6), "failed (see failures.csv)"))
    shapes_legend = [(swatch_line("#444444"), "county boundary (simplified, ~400 m)")]
    if n_bbox:
        shapes_legend.append((swatch_line("#444444", dash=True), "bounding box only (no polygon)"))
    if zones_lon:
        shapes_legend.append((swatch_circle("#d9ef8b", 6, "#222222"), "functional zone (no boundary)"))
    notes = ["Click a county for its figures and a link to its coverage map."]
    if any(o.row.get("synthetic") == "true" for o in outcomes):
        notes.append("Synthetic data: village coordinates, populations, facilities and roads are generated.")
    add_legend(m, [("Villages reached by every operator", labels), ("Shapes", shapes_legend)], notes=notes)
    add_note(m, "Boundaries: geotool-cn (DataV/Amap), read at run time; divisions: NBS 2023")
    return m
