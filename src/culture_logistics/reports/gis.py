"""GIS exports of every stage: a GeoPackage (EPSG:4326), and on request KML and GCJ-02 GeoJSON.

Every stage writes one GeoPackage of its layers into its out folder, beside the tables and the map:

=================  ==========================================================================
``coverage.gpkg``  ``villages`` (points, with their reach columns), ``facilities`` (points),
                   ``service_areas`` (per operator: the roads within reach, or discs without roads),
                   ``townships`` (approximate areas with their reach figures)
``siting.gpkg``    ``sites`` (chosen points), ``assignment`` (lines site → village)
``routes.gpkg``    ``routes`` (one line per vehicle along the roads), ``stops`` (points); built by
                   :func:`culture_logistics.reports.routes.route_layers`
=================  ==========================================================================

``--export kml,geojson-gcj02`` (:func:`export_gis`) then converts each GeoPackage in the folder (also
``shared/`` and ``separate/`` of a comparison):

* ``<stage>.kml`` for Google Earth, written by GDAL's KML driver through pyogrio: one folder per
  layer, each feature a placemark named by its Chinese name (village, facility, site, vehicle, stop).
* ``<stage>.gcj02.geojson`` for Amap/Gaode: one FeatureCollection of every layer (property ``layer``)
  with coordinates shifted WGS-84 → GCJ-02 (:func:`culture_logistics.geo.coords.wgs84_to_gcj02`,
  a few hundred metres in Shandong) and rounded to 1e-6° (0.1 m).  GCJ-02 has no EPSG code; the file
  says so in a ``coordinate_system`` member.

Every file is written atomically (:func:`culture_logistics.reports.writers.atomic_path`): a failure
leaves the previous file or none, never half of one.
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from culture_logistics.geo import areas as _areas
from culture_logistics.geo.coords import wgs84_to_gcj02
from culture_logistics.network.safe_gis import network_off
from culture_logistics.reports.export_formats import EXPORTS as EXPORTS  # re-exported: the old home of the names
from culture_logistics.reports.export_formats import GisExportError as GisExportError
from culture_logistics.reports.export_formats import parse_exports
from culture_logistics.reports.numbers import pct
from culture_logistics.reports.writers import atomic_path, atomic_write_text, fixed_time

#: per layer, the column that names a feature (the KML placemark name)
NAME_COLUMNS = {"villages": "village_name", "facilities": "name", "service_areas": "operator",
                "townships": "township_name", "sites": "name", "assignment": "village_name",
                "routes": "vehicle", "stops": "stop_name"}


GCJ_DECIMALS = 6


def points_frame(df: pd.DataFrame, cols: list[str], lon: str = "lon", lat: str = "lat") -> gpd.GeoDataFrame:
    """The columns ``cols`` of ``df`` as a point layer (EPSG:4326) at its ``lon``/``lat`` columns (WGS-84 degrees)."""
    data = {c: df[c].to_numpy() for c in cols}
    geom = shapely.points(df[lon].to_numpy(float), df[lat].to_numpy(float))
    return gpd.GeoDataFrame(data, geometry=geom, crs="EPSG:4326")


def _finite(x) -> list:
    return [float(v) if v is not None and math.isfinite(float(v)) else None for v in np.asarray(x, dtype=float)]


# ------------------------------------------------------------------------------------------ layers
def coverage_layers(result) -> dict[str, gpd.GeoDataFrame]:
    """The coverage stage's layers (EPSG:4326); see the module doc.

    ``villages``: village_code, village_name, township_code, township_name, population, reached,
    reached_any (booleans), reached_by, missing_operators (``;``-separated), nearest_facility_id,
    nearest_operator, distance_m (network metres, empty when unreachable), travel_time_min and
    ``<operator>_distance_m`` for every carrying operator.  ``townships``: the approximate area with
    the ``township_reach.csv`` figures, rates in percent (rounded as in the workbook).  ``destinations`` (only
    with cultural destinations): the ``destination_reach.csv`` columns at each destination's point.
    """
    v = result.villages
    vil = points_frame(v, ["village_code", "village_name", "township_code", "township_name"])
    vil["population"] = v["population"].astype(int).to_numpy()
    vil["reached"] = v["reached"].astype(bool).to_numpy()
    vil["reached_any"] = v["reached_any"].astype(bool).to_numpy()
    for c in ("reached_by", "missing_operators", "nearest_facility_id", "nearest_operator"):
        vil[c] = v[c].fillna("").astype(str).to_numpy()
    vil["distance_m"] = [None if d is None else round(d) for d in _finite(v["distance_m"])]
    vil["travel_time_min"] = [None if t is None else round(t, 1) for t in _finite(v["travel_time_min"])]
    for op in result.carriers:
        vil[f"{op}_distance_m"] = [None if d is None else round(d) for d in _finite(v[f"dist_{op}_m"])]
    vil = vil[[c for c in vil.columns if c != "geometry"] + ["geometry"]]
    f = result.scenario.facilities
    fac_cols = [c for c in ("id", "name", "operator", "tier", "brand", "capacity_per_day") if c in f.columns]
    fac = points_frame(f, fac_cols)
    layers = {"villages": vil, "facilities": fac}
    if len(f):
        roads = result.network is not None and result.network.has_roads
        sa = result.service_area_lines() if roads else result.service_areas()
        keep = [c for c in ("operator", "facilities", "road_km") if c in sa.columns]
        layers["service_areas"] = gpd.GeoDataFrame(sa[keep].reset_index(drop=True),
                                                   geometry=sa.geometry.reset_index(drop=True).values,
                                                   crs="EPSG:4326")
    areas = _areas.township_areas(v, result.scenario.boundary, result.scenario.metric_crs)
    tw = result.township_table().copy()
    for c in ("reach_rate", "population_reach_rate"):
        tw[c.replace("_rate", "_pct")] = [pct(x) for x in tw[c]]
    tw = tw.drop(columns=["reach_rate", "population_reach_rate", "township_name"])
    t = areas.merge(tw, on="township_code", how="left")
    layers["townships"] = gpd.GeoDataFrame(t, geometry="geometry", crs="EPSG:4326")
    d = getattr(result, "destinations", None)
    if d is not None:   # the cultural destinations (destination_reach.csv's columns, flags as booleans)
        dest = points_frame(d, ["destination_id", "destination_name", "kind", "village_code", "township_code",
                                "in_per_week", "out_per_week", "days", "reached", "reached_any", "reached_by",
                                "nearest_facility_id", "nearest_operator"])
        dest["distance_m"] = [None if x is None else round(x) for x in _finite(d["distance_m"])]
        layers["destinations"] = dest
    return layers


def siting_layers(result) -> dict[str, gpd.GeoDataFrame]:
    """The siting stage's layers (EPSG:4326): ``sites`` (``sites.csv`` columns and tier, capacity and
    load per week) and ``assignment`` (``assignment.csv`` columns, a line from the site to the village)."""
    s = result.sites
    cols = [c for c in ("site_id", "name", "operator", "kind", "tier", "villages_newly_reached",
                        "population_newly_reached", "cost", "capacity_per_week", "load_per_week") if c in s.columns]
    sites = points_frame(s, cols)
    for c in ("capacity_per_week", "load_per_week", "cost"):
        if c in sites.columns:
            sites[c] = _finite(sites[c])
    a = result.assignment_table()
    asg = gpd.GeoDataFrame(a.reset_index(drop=True), geometry=result.assignment.geometry.reset_index(drop=True).values,
                           crs="EPSG:4326")
    asg["newly_reached"] = a["newly_reached"].eq("true").to_numpy()
    return {"sites": sites, "assignment": asg}


# ------------------------------------------------------------------------------------------ writing
def _clean(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: numpy objects as text, booleans kept, ``inf`` as empty."""
    out = gdf.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        s = out[c]
        if s.dtype == object:
            out[c] = [None if x is None or (isinstance(x, float) and not math.isfinite(x)) else
                      (x if isinstance(x, (bool, int, float, str)) else str(x)) for x in s]
        elif pd.api.types.is_float_dtype(s):
            out[c] = s.where(np.isfinite(s), None)
    return out


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write every layer into one GeoPackage at ``path`` (EPSG:4326), atomically; same layers, same bytes."""
    path = Path(path)
    # GeoPackage stamps the clock into gpkg_contents.last_change: fixed (SOURCE_DATE_EPOCH, as the workbooks)
    # so that the same input gives the same bytes
    stamp = fixed_time().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # SQLite would fsync the temporary file at every layer's commit (most of the time of writing one):
    # off, and the finished file is fsynced once before it is renamed into place
    options = {"OGR_CURRENT_DATE": stamp, "OGR_SQLITE_SYNCHRONOUS": "OFF"}
    previous = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        _write_layers(layers, path)
    except (pyogrio.errors.DataLayerError, pyogrio.errors.DataSourceError, pyogrio.errors.FeatureError):
        check_writable(path.parent, path)  # GDAL says only that a statement failed: was it the folder?
        raise
    finally:
        pyogrio.set_gdal_config_options(previous)
    return path


#: bytes written by :func:`check_writable` to probe a folder
PROBE_BYTES = 1 << 20


def check_writable(folder: Path, target: Path) -> None:
    """Raise the ``OSError`` (naming ``target``) of a folder that cannot take :data:`PROBE_BYTES` more bytes
    (read-only, full, over a quota or the file size limit); return when it can.  GDAL reports a full disk
    as a failed SQL statement, so a failed GeoPackage write is probed this way."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-", suffix=".tmp") as fh:
            fh.write(b"\0" * PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc


def _write_layers(layers, path: Path) -> None:
    # the temporary name ends in .gpkg, so GDAL has nothing to warn about (it printed "The filename extension
    # should be 'gpkg' instead of 'tmp'" once per file)
    with atomic_path(path, keep_extension=True) as tmp:
        os.unlink(tmp)  # GDAL creates the GeoPackage itself
        for name, gdf in layers.items():
            pyogrio.write_dataframe(_clean(gdf), tmp, layer=name, driver="GPKG", append=tmp.exists())
        for extra in ("-wal", "-shm", "-journal"):
            Path(str(tmp) + extra).unlink(missing_ok=True)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_gpkg(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of a GeoPackage, in its stored order (GDAL's network off, :func:`network_off`)."""
    network_off()
    return {name: gpd.read_file(path, layer=name) for name, _ in pyogrio.list_layers(path)}


KML_HEAD = '<?xml version="1.0" encoding="utf-8" ?>\n<kml xmlns="http://www.opengis.net/kml/2.2">\n<Document id="root_doc">\n'


KML_TAIL = "</Document></kml>\n"


def kml_text(layers: dict[str, gpd.GeoDataFrame]) -> str:
    """The KML document of ``layers`` (see :func:`write_kml`), built in memory.

    Each layer is written alone by GDAL's KML driver (into memory), which escapes every name, description
    and attribute (``<``, ``&``, quotes) and numbers placemarks itself (``<Placemark id="villages.1">``);
    the layers' schemas and folders are then joined into one document.  (Appending a layer to an existing
    KML file would open it with the LIBKML driver, which writes an ``id`` column unescaped into
    ``<Placemark id="…">`` — a facility id could plant a ``<NetworkLink>`` — and fails on an id with ``<``.)
    """
    schemas, folders = [], []
    for name, gdf in layers.items():
        g = _clean(gdf).to_crs("EPSG:4326")
        col = NAME_COLUMNS.get(name)
        if col in g.columns and col != "name":
            g = g.drop(columns=[c for c in ("name",) if c in g.columns]).rename(columns={col: "name"})
        cols = ["name"] + [c for c in g.columns if c not in ("name", g.geometry.name)]
        g = gpd.GeoDataFrame(g[cols], geometry=g.geometry.values, crs="EPSG:4326")
        buf = io.BytesIO()
        pyogrio.write_dataframe(g, buf, layer=name, driver="KML")
        text = buf.getvalue().decode("utf-8")
        body = text[text.index('<Document id="root_doc">') + len('<Document id="root_doc">'):text.rindex("</Document>")]
        body = body.lstrip("\n")
        cut = body.find("<Folder>")
        cut = len(body) if cut < 0 else cut
        schemas.append(body[:cut])
        folders.append(body[cut:])
    return KML_HEAD + "".join(schemas) + "".join(folders) + KML_TAIL


def write_kml(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """KML for Google Earth (GDAL's KML driver via pyogrio, :func:`kml_text`), atomically: one folder per
    layer, each feature a placemark named by the layer's :data:`NAME_COLUMNS` column."""
    return atomic_write_text(Path(path), kml_text(layers))


def _gcj_geometry(geom):
    def tf(xy):
        x, y = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([np.round(x, GCJ_DECIMALS), np.round(y, GCJ_DECIMALS)])

    return shapely.transform(geom, tf)


def gcj02_geojson(layers: dict[str, gpd.GeoDataFrame]) -> dict:
    """One GeoJSON FeatureCollection of every layer, coordinates in GCJ-02 (Amap), property ``layer``."""
    feats = []
    for name, gdf in layers.items():
        g = _clean(gdf).to_crs("EPSG:4326")
        props = [c for c in g.columns if c != g.geometry.name]
        geoms = _gcj_geometry(g.geometry.values)
        for i, row in enumerate(g[props].itertuples(index=False)):
            p = {"layer": name}
            for k, val in zip(props, row):
                if isinstance(val, np.generic):
                    val = val.item()
                if isinstance(val, float) and not math.isfinite(val):
                    val = None
                p[k] = val
            geom = geoms[i]
            feats.append({"type": "Feature", "properties": p,
                          "geometry": None if geom is None else json.loads(shapely.to_geojson(geom))})
    return {"type": "FeatureCollection", "coordinate_system": "GCJ-02 (Amap/Gaode; shifted from WGS-84)",
            "features": feats}


def export_texts(layers, out: Path, stem: str, exports) -> dict[Path, str]:
    """The files ``exports`` asks for (path → text), built in memory; nothing is written."""
    texts = {}
    if "kml" in exports:
        texts[out / f"{stem}.kml"] = kml_text(layers)
    if "geojson-gcj02" in exports:
        texts[out / f"{stem}.gcj02.geojson"] = json.dumps(gcj02_geojson(layers), ensure_ascii=False,
                                                          separators=(",", ":"), allow_nan=False)
    return texts


def export_gis(out_dir: str | Path, exports) -> list[Path]:
    """``--export``: convert every stage GeoPackage in ``out_dir`` (and its ``shared``, ``separate`` and
    ``postal_courier`` (邮快合作) folders) into the requested formats beside it.  ``exports`` is a tuple from :func:`parse_exports`
    or the option's text.  Returns the files written."""
    if isinstance(exports, str) or exports is None:
        exports = parse_exports(exports)
    if not exports:
        return []
    out = Path(out_dir)
    texts: dict[Path, str] = {}
    for gpkg in sorted([*out.glob("*.gpkg"), *(g for mode in ("shared", "separate", "postal_courier")
                                                 for g in out.glob(f"{mode}/*.gpkg"))]):
        texts.update(export_texts(read_gpkg(gpkg), gpkg.parent, gpkg.stem, exports))
    # every export of every GeoPackage is built before the first is written: a failure writes none
    return [atomic_write_text(p, text) for p, text in texts.items()]
