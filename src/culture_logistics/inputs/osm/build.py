"""``import-osm``: an OSM extract and a county code to a whole scenario folder.

:func:`import_osm` clips the extract to the county (geotool-cn boundary, else the
division bbox) plus a buffer, keeps the drivable roads, matches OSM places to the
NBS village list (or takes ``--villages``), classifies logistics POIs (or takes
``--facilities``), writes ``scenario.toml, villages.csv, facilities.csv, roads.gpkg,
townships.csv, import_report.csv, import_report.md`` into a temporary folder, loads
that folder with :func:`~culture_logistics.inputs.scenario.load_scenario` (the same
checks as ``validate``) and only then moves the files into ``--out``.  Any error
leaves ``--out`` as it was.

A foreign extract (Helsinki, West Oakland) has no NBS county: ``import-osm`` refuses
it with a message giving both extents; its roads are read with
:func:`culture_logistics.inputs.osm.reader.read_extract` (no clip) and
:func:`culture_logistics.inputs.osm.roads.roads_graph`.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from culture_logistics.errors import ProblemList, ScenarioError
from culture_logistics.geo import divisions
from culture_logistics.geo.boundary import county_extent, county_seat
from culture_logistics.geo.coords import utm_crs
from culture_logistics.inputs import readers
from culture_logistics.inputs.osm import DEFAULT_BUFFER_M
from culture_logistics.inputs.osm.facilities import classify_pois
from culture_logistics.inputs.osm.places import match_places
from culture_logistics.inputs.osm.reader import OsmImportError, check_extract_path, header_bbox, read_extract
from culture_logistics.inputs.osm.report import report_frame, report_markdown
from culture_logistics.inputs.osm.roads import roads_frame
from culture_logistics.inputs.scenario import load_scenario

OSM_CREDIT = "© OpenStreetMap contributors"
OUTPUTS = ("scenario.toml", "villages.csv", "facilities.csv", "roads.gpkg", "townships.csv", "import_report.csv",
           "import_report.md")


@dataclass
class ImportResult:
    """What :func:`import_osm` wrote and counted (``paths``: name → Path in ``--out``)."""

    out_dir: Path
    paths: dict[str, Path]
    stats: dict
    villages: int
    facilities: int
    townships_with_point: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def clip_area(adcode: str, buffer_m: float):
    """County extent buffered by ``buffer_m`` metres, WGS-84; and the extent's source."""
    geom, source = county_extent(adcode)
    if geom is None:
        raise OsmImportError(f"county {adcode} {divisions.county_name(adcode) or ''} has no boundary here "
                             f"(geotool-cn not installed, or an NBS functional zone) and no bounding box: "
                             f"install geotool-cn, or import the county the zone belongs to")
    if buffer_m > 0:
        c = geom.centroid
        crs = utm_crs(c.x, c.y)
        geom = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(crs).buffer(buffer_m, 16).to_crs("EPSG:4326").iloc[0]
    return geom, source


def _csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue()


def _toml_str(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_inputs(adcode: str, buffer_m: float, out_dir: Path) -> str:
    if not (len(adcode) == 6 and adcode.isdigit()):
        raise OsmImportError(f"--county {adcode!r} is not a 6-digit county code (e.g. 360681 for 贵溪市)")
    name = divisions.county_name(adcode)
    if name is None:
        raise OsmImportError(f"--county {adcode} is not in the NBS 2023 list of county-level units; "
                             f"check the code (统计用区划代码, first 6 digits)")
    if not (buffer_m == buffer_m and 0 <= buffer_m <= 50_000):
        raise OsmImportError(f"--buffer-m {buffer_m:g} must be between 0 and 50000 metres")
    if out_dir.exists() and not out_dir.is_dir():
        raise OsmImportError(f"--out {out_dir} is a file, not a folder; give a folder to write into")
    return name


def import_osm(extract: str | Path, county: str, out_dir: str | Path, villages_file: str | Path | None = None,
               facilities_file: str | Path | None = None, buffer_m: float = DEFAULT_BUFFER_M,
               progress=None) -> ImportResult:
    """Import one county from an OSM extract into a scenario folder (module docstring: what and how).

    It is the transaction — every check and every file is made in a
    temporary folder that is validated before a single file moves into ``out_dir``.

    Parameters
    ----------
    extract : path of the ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` file (streamed, never loaded whole).
    county : 6-digit NBS county code of any province.
    out_dir : folder to write; created when missing; the files listed in :data:`OUTPUTS` are replaced.
    villages_file, facilities_file : optional CSV files in the contract's columns (README "Input
        files") used instead of the OSM places / POIs.
    buffer_m : metres added around the county boundary before clipping (roads leaving the county
        and outlets just across the line still count).
    progress : optional ``progress(stage, count)`` callback.

    Raises
    ------
    OsmImportError, ScenarioError
        a clear message (file, row, column where there is one); nothing written to ``out_dir``.
    """
    extract, out_dir, county = Path(extract), Path(out_dir), str(county).strip()
    name = _check_inputs(county, buffer_m, out_dir)
    check_extract_path(extract)
    clip, extent_source = clip_area(county, buffer_m)
    hb = header_bbox(extract)
    if hb is not None and not box(*hb).intersects(clip):
        c = clip.bounds
        raise OsmImportError(
            f"{extract.name} covers lon {hb[0]:.3f}–{hb[2]:.3f}, lat {hb[1]:.3f}–{hb[3]:.3f}, which does not "
            f"overlap county {county} {name} (lon {c[0]:.3f}–{c[2]:.3f}, lat {c[1]:.3f}–{c[3]:.3f}); give the "
            f"extract of the province that contains the county (import-osm builds Chinese county scenarios; "
            f"a foreign extract has no NBS county)")
    ext = read_extract(extract, clip, progress=progress)
    if not ext.roads:
        raise OsmImportError(f"{extract.name}: no drivable road inside county {county} {name} plus {buffer_m:g} m "
                             f"({ext.stats['nodes_in_clip']:,} nodes there); is it the right extract?")
    problems = ProblemList()
    nbs_v, nbs_t = divisions.villages(county), divisions.townships(county)
    match = match_places(ext.places, nbs_v, nbs_t)
    seats = {c: (float(x), float(y)) for c, x, y in zip(match.townships["code"], match.townships["lon"],
                                                       match.townships["lat"]) if x != ""}
    notes: list[str] = []
    if villages_file is not None:
        v = readers.read_villages(Path(villages_file), problems)
        problems.raise_if_errors()
        villages = v[["code", "name", "township_code", "lon", "lat", "population"]].copy()
        villages["population"] = villages["population"].astype("int64")
        notes.append(f"villages from {Path(villages_file).name} ({len(villages)} rows); OSM place matches are "
                     f"listed in the report for comparison only")
    else:
        villages = match.villages[["code", "name", "township_code", "lon", "lat", "population"]]
        if villages.empty:
            raise OsmImportError(f"{extract.name}: no OSM place inside county {county} {name} matches a name in "
                                 f"its NBS village list ({len(ext.places)} places read); give the villages "
                                 f"with --villages FILE (columns code,name,township_code,lon,lat,population)")
        if (villages["population"] == 0).any():
            notes.append(f"{int((villages['population'] == 0).sum())} villages have no OSM population tag: "
                         f"population 0 (unknown); fill it in villages.csv or pass --villages")
    seat_xy = _county_seat(county, name, ext.places)
    if facilities_file is not None:
        f = readers.read_facilities(Path(facilities_file), problems)
        problems.raise_if_errors()
        facilities = f[["id", "name", "operator", "tier", "lon", "lat", "brand", "capacity_per_day"]].copy()
        facilities["capacity_per_day"] = facilities["capacity_per_day"].map(lambda x: "" if x != x else int(x))
        fac_decisions: list = []
        notes.append(f"facilities from {Path(facilities_file).name} ({len(facilities)} rows)")
    else:
        facilities, fac_decisions = classify_pois(ext.pois, county, seats, seat_xy)
        if facilities.empty:
            raise OsmImportError(f"{extract.name}: no post office, courier, supply co-op or shared point inside "
                                 f"county {county} {name} ({len(ext.pois)} candidate POIs, none classified; see "
                                 f"the README rules); give the facilities with --facilities FILE")
    if not (facilities["tier"] == "county").any():
        notes.append("no county hub (tier = county): coverage and siting run; routing will refuse until a "
                     "county-tier facility is added")
    roads = roads_frame(ext.roads)
    decisions = match.decisions + fac_decisions
    files = {
        "villages.csv": _csv_text(villages),
        "facilities.csv": _csv_text(facilities),
        "townships.csv": _csv_text(match.townships.assign(
            seat_source=["OSM node " + str(i) if i != "" else "" for i in match.townships["osm_id"]])
            [["code", "name", "lon", "lat", "seat_source"]]),
        "scenario.toml": _scenario_toml(county, name, extract.name, ext.timestamp, buffer_m, extent_source,
                                        villages_file, facilities_file),
    }
    summary = dict(county=county, name=name, extract=extract.name, osm_timestamp=ext.timestamp,
                   extent_source=extent_source, buffer_m=buffer_m, stats=ext.stats, villages=len(villages),
                   nbs_villages=len(nbs_v), facilities=len(facilities), townships_with_point=len(seats),
                   nbs_townships=len(nbs_t), roads=len(roads), notes=notes)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".import-osm-", dir=out_dir.parent))
    try:
        for fname, text in files.items():
            (tmp / fname).write_text(text, encoding="utf-8")
        roads.to_file(tmp / "roads.gpkg", layer="roads", driver="GPKG")
        scn = _load_built(tmp, extract)     # validate's checks; raises before anything is moved
        warnings = [str(w).replace(str(tmp) + os.sep, "") for w in scn.warnings]
        summary["warnings"] = warnings
        (tmp / "import_report.csv").write_text(_csv_text(report_frame(decisions, summary)), encoding="utf-8")
        (tmp / "import_report.md").write_text(report_markdown(summary, decisions), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {}
        for fname in OUTPUTS:
            os.replace(tmp / fname, out_dir / fname)
            paths[fname] = out_dir / fname
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ImportResult(out_dir=out_dir, paths=paths, stats=ext.stats, villages=len(villages),
                        facilities=len(facilities), townships_with_point=len(seats), warnings=warnings, notes=notes)


def _load_built(tmp: Path, extract: Path):
    """The built scenario loaded (validated); a problem names the user's extract and the file built from it
    (``shandong.osm → facilities.csv``), never import-osm's temporary folder."""
    try:
        return load_scenario(tmp / "scenario.toml")
    except ScenarioError as exc:
        prefix = str(tmp) + os.sep
        raise ScenarioError([dataclasses.replace(p, file=f"{extract} → {p.file.removeprefix(prefix)}")
                             if p.file.startswith(prefix) else p for p in exc.problems]) from None


def _county_seat(county: str, name: str, places: list[dict]) -> tuple[float, float] | None:
    """The OSM place named like the county (贵溪市), else :func:`~culture_logistics.geo.boundary.county_seat`."""
    for p in sorted(places, key=lambda p: p["osm_id"]):
        if p["name"] == name and p["place"] in ("city", "town"):
            return p["lon"], p["lat"]
    return county_seat(county)


def _scenario_toml(county, name, source, timestamp, buffer_m, extent_source, villages_file, facilities_file) -> str:
    v_src = Path(villages_file).name if villages_file else "OSM place nodes matched to NBS 2023 names"
    f_src = Path(facilities_file).name if facilities_file else "OSM POIs classified by import-osm"
    return "\n".join([
        f"# Imported from OpenStreetMap by culture-logistics import-osm. Data {OSM_CREDIT}, ODbL 1.0.",
        "[county]", f"adcode = {_toml_str(county)}", f"name = {_toml_str(name)}", 'crs = "wgs84"', "",
        "[inputs]", 'villages = "villages.csv"', 'facilities = "facilities.csv"', 'roads = "roads.gpkg"',
        'townships = "townships.csv"', "",
        "[data]", "synthetic = false", f"source = {_toml_str(source)}", f"osm_timestamp = {_toml_str(timestamp)}",
        'licence = "ODbL 1.0"', f"attribution = {_toml_str(OSM_CREDIT)}",
        f"villages_source = {_toml_str(v_src)}", f"facilities_source = {_toml_str(f_src)}",
        f"clip = {_toml_str(f'{extent_source} + {buffer_m:g} m')}",
        f"note = {_toml_str(f'Roads, places and outlets from OpenStreetMap ({source}), {OSM_CREDIT}')}", "",
    ])
