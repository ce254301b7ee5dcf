"""Readers for the scenario's input files (villages, facilities, townships, roads).

Each reader records every problem it finds in a :class:`ProblemList` (file,
row, column, how to fix) rather than stopping at the first, and returns what it
could read.  Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.

CSV files are read as UTF-8 (with or without BOM) or, failing that, GB18030 (a
superset of GBK, which Excel uses on Chinese Windows).  Every value is read as
text, so codes keep their leading digits.

Untrusted input (see docs/SECURITY.md): files are streamed, never read whole, and
every limit below ends in a problem that names the file and the limit — a file far
larger than a county (:data:`MAX_CSV_BYTES`, :data:`MAX_CSV_ROWS`,
:data:`MAX_LINE_CHARS`, :data:`MAX_ROAD_BYTES`, :data:`MAX_ROAD_FEATURES`), a value
with control characters, a number that is not finite or not plausible.  A reader
never raises for bad content: it records problems and returns ``None``.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import ProblemList
from .scenario import (OPERATORS, PARCELS_IN_PER_PERSON_WEEK,
                       PARCELS_OUT_PER_PERSON_WEEK, TIERS, NetworkParams)

MAX_CSV_BYTES = 200_000_000         # a county's tables are a few MB; far larger is a mistake
MAX_CSV_ROWS = 200_000              # China's largest county has < 5,000 village units
MAX_FIELD_CHARS = 10_000
MAX_LINE_CHARS = 1_000_000          # one physical line; bounds the memory of a single row
MAX_BAD_ROWS = 100                  # malformed rows reported before giving up on a file
MAX_ROAD_BYTES = 500_000_000       # a county's roads are a few MB to a few tens of MB
MAX_ROAD_FEATURES = 2_000_000
MAX_POPULATION = 10_000_000         # one village-level unit (the largest 社区 have ~10^5 residents)
MAX_PARCELS_PER_WEEK = 10_000_000
MAX_CAPACITY_PER_DAY = 1_000_000_000
_CHUNK = 1 << 20
# C0/C1 control characters (and DEL) and the bidirectional overrides that can disguise text
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

VILLAGE_COLUMNS = ["code", "name", "township_code", "lon", "lat", "population"]
VILLAGE_OPTIONAL = ["parcels_in_per_week", "parcels_out_per_week"]
FACILITY_COLUMNS = ["id", "name", "operator", "tier", "lon", "lat"]
FACILITY_OPTIONAL = ["brand", "capacity_per_day"]
TOWNSHIP_COLUMNS = ["code", "name"]
TOWNSHIP_OPTIONAL = ["lon", "lat"]


def decode_text(raw: bytes) -> tuple[str | None, str]:
    """Decode bytes as UTF-8 (BOM optional) or GB18030; return (text, encoding)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None, ""
    return text, "gb18030"


def _regular_file(path: Path, problems: ProblemList, what: str, hint: str) -> int | None:
    """Size of ``path`` when it is a readable regular file, else ``None`` with a problem recorded."""
    try:
        st = path.stat()
    except FileNotFoundError:
        problems.error(path, "file not found", hint=hint)
        return None
    except (OSError, ValueError) as exc:  # permission, name too long, NUL in the name …
        problems.error(path, f"cannot be read ({getattr(exc, 'strerror', None) or exc})", hint=hint)
        return None
    import stat as _stat

    if _stat.S_ISDIR(st.st_mode):
        problems.error(path, f"is a folder, not a {what}", hint=f"name the {what} itself in scenario.toml [inputs]")
        return None
    if not _stat.S_ISREG(st.st_mode):
        problems.error(path, f"is not a regular file (a device, pipe or socket), not a {what}",
                       hint=f"name a {what} in scenario.toml [inputs]")
        return None
    return st.st_size


def _sniff_encoding(path: Path, problems: ProblemList) -> tuple[str | None, bool]:
    """One streaming pass: NUL bytes, and UTF-8 (BOM optional) or else GB18030.

    Returns (python codec name or None when unusable, whether the text has anything but whitespace).
    """
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        content = False
        try:
            with open(path, "rb") as fh:
                read = 0
                while True:
                    chunk = fh.read(_CHUNK)
                    read += len(chunk)
                    if read > MAX_CSV_BYTES:  # the file grew since stat()
                        problems.error(path, f"is larger than {MAX_CSV_BYTES / 1e6:.0f} MB, far larger than any "
                                       f"county table (limit {MAX_CSV_BYTES / 1e6:.0f} MB)",
                                       hint="split the province into counties; each county's table is a few MB")
                        return None, False
                    final = not chunk
                    if b"\x00" in chunk:
                        problems.error(path, "contains NUL bytes: it is not a text CSV file",
                                       hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
                        return None, False
                    text = dec.decode(chunk, final)
                    if not content and text.strip():
                        content = True
                    if final:
                        break
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            problems.error(path, f"cannot be read ({exc.strerror or exc})")
            return None, False
        return enc, content
    problems.error(path, "is neither UTF-8 nor GBK/GB18030 text", hint="save it as 'CSV UTF-8'")
    return None, False


class _LineTooLong(Exception):
    pass


def _bounded_lines(fh):
    """The lines of a text file, each at most MAX_LINE_CHARS (never reads a longer line whole)."""
    while True:
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise _LineTooLong
        yield line


def read_table(path: Path, problems: ProblemList, required: list[str], optional: list[str] = ()) -> pd.DataFrame | None:
    """Read a CSV into a DataFrame of stripped strings, checking its columns.

    Returns ``None`` (with problems recorded) when the file cannot be used at
    all.  The frame carries a ``src_row`` column: the spreadsheet row number.
    The file is streamed: memory stays bounded by :data:`MAX_CSV_ROWS` rows of
    at most :data:`MAX_LINE_CHARS` characters whatever the file holds.
    """
    path = Path(path)
    size = _regular_file(path, problems, "CSV file",
                         "check the path in scenario.toml [inputs] (relative to the TOML file)")
    if size is None:
        return None
    if size > MAX_CSV_BYTES:
        problems.error(path, f"is {size / 1e6:.0f} MB, far larger than any county table (limit {MAX_CSV_BYTES / 1e6:.0f} MB)",
                       hint="split the province into counties; each county's table is a few MB")
        return None
    enc, content = _sniff_encoding(path, problems)
    if enc is None:
        return None
    if not content:
        problems.error(path, "is empty", hint=f"the first line must be the header: {','.join(required)}")
        return None
    try:
        with open(path, "r", encoding=enc, newline="") as fh:
            return _parse_table(path, fh, problems, required, optional)
    except _LineTooLong:
        problems.error(path, f"has a line longer than {MAX_LINE_CHARS:,} characters (limit); "
                       "it is not a county table", hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
        return None
    except UnicodeDecodeError:  # the file changed between the two passes
        problems.error(path, "changed while it was being read", hint="run again when nothing is writing it")
        return None
    except OSError as exc:
        problems.error(path, f"cannot be read ({exc.strerror or exc})")
        return None


def _parse_table(path: Path, fh, problems: ProblemList, required, optional) -> pd.DataFrame | None:
    reader = csv.reader(_bounded_lines(fh))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        problems.error(path, f"cannot be parsed as CSV: {exc}", row=1)
        return None
    header = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    ok = True
    for col in required:
        if col not in header:
            close = difflib.get_close_matches(col, header[:1000], n=1, cutoff=0.6)
            hint = (f"rename column '{_short(close[0])}' to '{col}'" if close
                    else f"add a '{col}' column; the header must contain {', '.join(required)}")
            problems.error(path, f"missing column '{col}'", row=1, column=col, hint=hint)
            ok = False
    counts: dict[str, int] = {}
    for h in header:
        counts[h] = counts.get(h, 0) + 1
    for d in sorted(h for h, n in counts.items() if h and n > 1):
        problems.error(path, f"column '{_short(d)}' appears more than once", row=1, column=_short(d),
                       hint="keep one of them")
        ok = False
    if not ok:
        return None
    known = set(required) | set(optional)
    for h in header:
        if h and h not in known and not h.startswith("_"):
            close = difflib.get_close_matches(h, list(known), n=1, cutoff=0.75)
            if close:
                problems.warning(path, f"column '{_short(h)}' is not used", row=1, column=_short(h),
                                 hint=f"did you mean '{close[0]}'?")
    rows = []
    row_numbers = []
    line_no = 1
    bad = 0
    try:
        for fields in reader:
            line_no += 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line
            if len(rows) >= MAX_CSV_ROWS:
                problems.error(path, f"has more than {MAX_CSV_ROWS:,} rows (limit); a county has a few thousand "
                               "at most", hint="split the data by county")
                return None
            row = reader.line_num if reader.line_num else line_no
            if len(fields) != len(header):
                problems.error(path, f"has {len(fields)} fields where the header has {len(header)}", row=line_no,
                               hint="check for an unquoted comma in a name, or a missing value")
                bad += 1
            else:
                long = [header[i] for i, f in enumerate(fields) if len(f) > MAX_FIELD_CHARS]
                if long:
                    problems.error(path, f"a value is longer than {MAX_FIELD_CHARS:,} characters", row=row,
                                   column=_short(long[0]))
                    bad += 1
                else:
                    stripped = [f.strip() for f in fields]
                    ctl = [(header[i], m.group()) for i, f in enumerate(stripped) if (m := _CONTROL.search(f))]
                    if ctl:
                        col, ch = ctl[0]
                        problems.error(path, f"a value contains the invisible control character U+{ord(ch):04X}",
                                       row=row, column=_short(col), hint="delete it (retype the value)")
                        bad += 1
                    else:
                        rows.append(stripped)
                        row_numbers.append(row)
            if bad >= MAX_BAD_ROWS:
                problems.error(path, f"stopped reading after {MAX_BAD_ROWS} malformed rows: is it the right file, "
                               "and a CSV?", hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
                return None
    except csv.Error as exc:
        problems.error(path, f"cannot be parsed as CSV: {exc}", row=reader.line_num or line_no,
                       hint="check for an unmatched double quote")
        return None
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["src_row"] = row_numbers
    for col in optional:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def _number(value: str, path, row, column, problems: ProblemList, *, required=True, minimum=None,
            integer=False, maximum=None) -> float | None:
    """Parse one numeric cell, recording a clear problem when it is not a usable number."""
    if value is None or value == "":
        if required:
            problems.error(path, "is empty", row=row, column=column, hint="fill in a number")
        return None
    try:
        x = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except ValueError:
        problems.error(path, f"'{_short(value)}' is not a number", row=row, column=column,
                       hint="use digits with a decimal point, e.g. 119.4103")
        return None
    if not math.isfinite(x):
        problems.error(path, f"'{_short(value)}' is not a finite number", row=row, column=column)
        return None
    if minimum is not None and x < minimum:
        problems.error(path, f"{_short(value)} is negative", row=row, column=column,
                       hint=f"must be ≥ {minimum:g}")
        return None
    if maximum is not None and x > maximum:
        problems.error(path, f"{_short(value)} is implausibly large (limit {maximum:,.0f})", row=row, column=column,
                       hint="check the value and its unit")
        return None
    if integer and x != int(x):
        problems.error(path, f"{_short(value)} is not a whole number", row=row, column=column)
        return None
    return x


def _short(value, n: int = 40) -> str:
    """A value quoted in a message: control characters spelt out (a terminal never receives them), cut to n."""
    s = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return s if len(s) <= n else s[: n - 1] + "…"


def _coordinates(frame: pd.DataFrame, path, problems: ProblemList, crs: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse lon/lat columns; check they are in China; convert GCJ-02 when declared.

    Returns lon, lat (WGS-84) and a boolean mask of rows whose coordinates are usable.
    """
    n = len(frame)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for i, (x, y, row) in enumerate(zip(frame["lon"], frame["lat"], frame["src_row"])):
        fx = _number(x, path, row, "lon", problems)
        fy = _number(y, path, row, "lat", problems)
        if fx is None or fy is None:
            continue
        in_china = CHINA_LON[0] <= fx <= CHINA_LON[1] and CHINA_LAT[0] <= fy <= CHINA_LAT[1]
        if not in_china:
            swapped = CHINA_LON[0] <= fy <= CHINA_LON[1] and CHINA_LAT[0] <= fx <= CHINA_LAT[1]
            hint = ("lon and lat look swapped: swap the two values (lon is the larger number in China, ~73–136)"
                    if swapped else "lon must be 73–136 and lat 3–54 (decimal degrees) for a place in China")
            problems.error(path, f"coordinate ({fx:g}, {fy:g}) of this {what} is outside China", row=row,
                           column="lon", hint=hint)
            continue
        lon[i], lat[i] = fx, fy
    ok = np.isfinite(lon) & np.isfinite(lat)
    if crs == "gcj02" and ok.any():
        from .coords import gcj02_to_wgs84

        lon[ok], lat[ok] = gcj02_to_wgs84(lon[ok], lat[ok])
    return lon, lat, ok


def _duplicates(frame: pd.DataFrame, column: str, path, problems: ProblemList, what: str) -> None:
    seen: dict[str, int] = {}
    for value, row in zip(frame[column], frame["src_row"]):
        if value == "":
            problems.error(path, f"{what} is empty", row=row, column=column, hint=f"every row needs a {what}")
            continue
        if value in seen:
            problems.error(path, f"duplicate {what} '{_short(value)}' (also on row {seen[value]})", row=row,
                           column=column, hint=f"each {what} must be unique; remove or renumber one row")
        else:
            seen[value] = row


def read_villages(path: Path, problems: ProblemList, crs: str = "wgs84") -> gpd.GeoDataFrame | None:
    """Read villages.csv (see README, "Input files") into a GeoDataFrame (EPSG:4326)."""
    frame = read_table(path, problems, VILLAGE_COLUMNS, VILLAGE_OPTIONAL)
    if frame is None:
        return None
    n_before = len(problems.errors)
    _duplicates(frame, "code", path, problems, "village code")
    for code, tw, row in zip(frame["code"], frame["township_code"], frame["src_row"]):
        if code and not (len(code) == 12 and code.isdigit()):
            hint = "a village code has 12 digits"
            if code.replace(".", "").replace("E", "").replace("e", "").replace("+", "").isdigit():
                hint += "; it looks like a spreadsheet turned it into a number: format the column as text"
            problems.error(path, f"village code '{_short(code)}' is not 12 digits", row=row, column="code", hint=hint)
        elif code and tw != code[:9]:
            problems.error(path, f"township_code '{_short(tw)}' does not match the village code's first 9 digits "
                           f"('{code[:9]}')", row=row, column="township_code",
                           hint=f"set township_code to {code[:9]} or correct the village code")
    pop = []
    pin, pout = [], []
    for pv, a_raw, b_raw, row in zip(frame["population"], frame["parcels_in_per_week"],
                                     frame["parcels_out_per_week"], frame["src_row"]):
        p = _number(pv, path, row, "population", problems, minimum=0, integer=True, maximum=MAX_POPULATION)
        pop.append(p if p is not None else np.nan)
        a = _number(a_raw, path, row, "parcels_in_per_week", problems, required=False, minimum=0,
                    maximum=MAX_PARCELS_PER_WEEK)
        b = _number(b_raw, path, row, "parcels_out_per_week", problems, required=False, minimum=0,
                    maximum=MAX_PARCELS_PER_WEEK)
        pin.append(a if a is not None else (math.ceil(p * PARCELS_IN_PER_PERSON_WEEK) if p is not None else np.nan))
        pout.append(b if b is not None else (math.ceil(p * PARCELS_OUT_PER_PERSON_WEEK) if p is not None else np.nan))
    lon, lat, ok = _coordinates(frame, path, problems, crs, "village")
    out = pd.DataFrame({
        "code": frame["code"].astype(str).values,
        "name": frame["name"].astype(str).values,
        "township_code": frame["township_code"].astype(str).values,
        "population": pop,
        "parcels_in_per_week": pin,
        "parcels_out_per_week": pout,
        "lon": lon,
        "lat": lat,
        "src_row": frame["src_row"].values,
    })
    if len(problems.errors) > n_before:
        return None
    if out.empty:
        problems.error(path, "has no village rows", hint="add one row per village under the header")
        return None
    out["population"] = out["population"].astype("int64")
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs="EPSG:4326")
    return gdf.sort_values("code", kind="stable").reset_index(drop=True)


def read_facilities(path: Path, problems: ProblemList, crs: str = "wgs84") -> gpd.GeoDataFrame | None:
    """Read facilities.csv (see README, "Input files") into a GeoDataFrame (EPSG:4326)."""
    frame = read_table(path, problems, FACILITY_COLUMNS, FACILITY_OPTIONAL)
    if frame is None:
        return None
    n_before = len(problems.errors)
    _duplicates(frame, "id", path, problems, "facility id")
    operators, tiers, caps = [], [], []
    for op, tier, cap, row in zip(frame["operator"], frame["tier"], frame["capacity_per_day"], frame["src_row"]):
        o = op.strip().lower().replace("-", "_").replace(" ", "_")
        if o not in OPERATORS:
            close = difflib.get_close_matches(o, OPERATORS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.error(path, f"unknown operator '{_short(op)}'", row=row, column="operator",
                           hint=hint + "use one of: " + ", ".join(OPERATORS))
        t = tier.strip().lower()
        if t not in TIERS:
            close = difflib.get_close_matches(t, TIERS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.error(path, f"unknown tier '{_short(tier)}'", row=row, column="tier",
                           hint=hint + "use one of: " + ", ".join(TIERS))
        c = _number(cap, path, row, "capacity_per_day", problems, required=False, minimum=0,
                    maximum=MAX_CAPACITY_PER_DAY)
        operators.append(o)
        tiers.append(t)
        caps.append(c if c is not None else np.nan)
    lon, lat, ok = _coordinates(frame, path, problems, crs, "facility")
    if len(problems.errors) > n_before:
        return None
    out = pd.DataFrame({
        "id": frame["id"].astype(str).values,
        "name": frame["name"].astype(str).values,
        "operator": operators,
        "tier": tiers,
        "brand": frame["brand"].astype(str).values,
        "capacity_per_day": np.asarray(caps, dtype=float),
        "lon": lon,
        "lat": lat,
        "src_row": frame["src_row"].values,
    })
    if out.empty:
        problems.error(path, "has no facility rows", hint="add one row per facility under the header")
        return None
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs="EPSG:4326")
    return gdf.sort_values("id", kind="stable").reset_index(drop=True)


def read_townships(path: Path, problems: ProblemList, crs: str = "wgs84") -> pd.DataFrame | None:
    """Read the optional townships.csv: code, name and optionally the seat's lon, lat."""
    frame = read_table(path, problems, TOWNSHIP_COLUMNS, TOWNSHIP_OPTIONAL + ["seat_source"])
    if frame is None:
        return None
    n_before = len(problems.errors)
    _duplicates(frame, "code", path, problems, "township code")
    for code, row in zip(frame["code"], frame["src_row"]):
        if code and not (len(code) == 9 and code.isdigit()):
            problems.error(path, f"township code '{_short(code)}' is not 9 digits", row=row, column="code")
    has_xy = (frame["lon"] != "") & (frame["lat"] != "")
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    if has_xy.any():
        lo, la, _ = _coordinates(frame[has_xy], path, problems, crs, "township seat")
        lon[has_xy.values], lat[has_xy.values] = lo, la
    if len(problems.errors) > n_before:
        return None
    return pd.DataFrame({"code": frame["code"].values, "name": frame["name"].values, "lon": lon, "lat": lat})


# ---------------------------------------------------------------------------- roads

# Typical speeds (km/h) on Chinese rural roads by OSM highway class.
ROAD_SPEEDS_KMH = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50, "primary": 60, "primary_link": 40,
    "secondary": 50, "secondary_link": 40, "tertiary": 40, "tertiary_link": 30, "unclassified": 30,
    "residential": 25, "living_street": 15, "service": 20, "track": 15, "road": 30,
}


def read_roads(path: Path, problems: ProblemList, crs: str = "wgs84", network: NetworkParams = NetworkParams()):
    """Read the road network into an osmnx-style MultiDiGraph (lon/lat nodes, length m, travel_time s).

    Accepts a line layer geopandas can read (.geojson, .json, .gpkg, .shp), an OSM XML file (.osm),
    or a GraphML file saved by osmnx (.graphml).
    """
    from . import network as net

    path = Path(path)
    size = _regular_file(path, problems, "road file", "check [inputs] roads in scenario.toml (relative to the TOML)")
    if size is None:
        return None
    if size > MAX_ROAD_BYTES:
        problems.error(path, f"is {size / 1e6:,.0f} MB, far larger than a county's roads "
                       f"(limit {MAX_ROAD_BYTES / 1e6:,.0f} MB)",
                       hint="clip the roads to the county (e.g. with ogr2ogr -clipsrc or QGIS) before using them")
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".osm" or path.name.lower().endswith(".osm.xml"):
            return net.graph_from_osm_xml(path, network)
        if suffix == ".graphml":
            return net.graph_from_graphml(path, network)
        if suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb"):
            try:
                n_features = _feature_count(path)
                if n_features is not None and n_features > MAX_ROAD_FEATURES:
                    problems.error(path, f"has {n_features:,} features, far more than a county's roads "
                                   f"(limit {MAX_ROAD_FEATURES:,})",
                                   hint="clip the roads to the county before using them")
                    return None
                gdf = gpd.read_file(path)
            except Exception as exc:  # pyogrio raises several types for unreadable files
                problems.error(path, f"cannot be read as a GIS layer: {_short(str(exc), 200)}",
                               hint="export the roads as GeoJSON (EPSG:4326) line features")
                return None
            return graph_from_lines_checked(gdf, path, problems, crs, network)
    except net.RoadFileError as exc:
        problems.error(path, str(exc), hint=exc.hint)
        return None
    except Exception as exc:  # osmnx / XML parser errors on a broken file
        problems.error(path, f"cannot be read as a road network: {type(exc).__name__}: {_short(str(exc), 200)}",
                       hint="check that the file is complete and of the type its extension says")
        return None
    problems.error(path, f"unsupported road file type '{suffix}'",
                   hint="use .geojson, .gpkg, .shp (line layers), .osm (OSM XML) or .graphml (osmnx)")
    return None


def _feature_count(path: Path) -> int | None:
    """Number of features of a GIS layer without reading it (None when the driver cannot tell)."""
    try:
        import pyogrio

        n = pyogrio.read_info(path).get("features")
    except Exception:  # unreadable: gpd.read_file reports it
        return None
    return int(n) if n is not None and n >= 0 else None


def graph_from_lines_checked(gdf: gpd.GeoDataFrame, path, problems: ProblemList, crs: str, network: NetworkParams):
    from . import network as net
    import shapely

    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    gtypes = gdf.geometry.geom_type if len(gdf) else pd.Series([], dtype=str)
    lines = gdf[gtypes.isin(["LineString", "MultiLineString"]).values]
    if lines.empty:
        kinds = ", ".join(sorted(set(gtypes.dropna()))) or "no features"
        problems.error(path, f"has no line geometries (found: {kinds})",
                       hint="the roads file must hold LineString features, one per road segment")
        return None
    skipped = len(gdf) - len(lines)
    if skipped:
        problems.warning(path, f"{skipped} non-line feature(s) ignored")
    # every vertex a finite lon/lat in China (NaN, inf or 1e308 would poison every distance)
    xy, owner = shapely.get_coordinates(lines.geometry.values, return_index=True)
    if len(xy):
        x, y = xy[:, 0], xy[:, 1]
        good = (np.isfinite(x) & np.isfinite(y) & (x >= CHINA_LON[0]) & (x <= CHINA_LON[1])
                & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1]))
        bad = np.flatnonzero(~good)
        if len(bad):
            feats = sorted(set(int(owner[i]) for i in bad))
            i = bad[0]
            shown = ", ".join(str(f) for f in feats[:10]) + (f" and {len(feats) - 10} more" if len(feats) > 10 else "")
            problems.error(path, f"{len(bad):,} vertex/vertices of feature(s) {shown} are not finite lon/lat in "
                           f"China (e.g. ({x[i]:g}, {y[i]:g}))",
                           hint="roads must be WGS-84 (EPSG:4326) or GCJ-02 lon/lat degrees; lon 73–136, lat 3–54")
            return None
    if "maxspeed" in lines.columns:
        for i, (v, row) in enumerate(zip(lines["maxspeed"], range(len(lines)))):
            if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                continue
            try:
                s = float(str(v).split()[0].split(";")[0])
                if not math.isfinite(s) or s <= 0:
                    raise ValueError
            except ValueError:
                problems.error(path, f"maxspeed '{_short(v)}' of feature {row} is not a positive number (km/h)",
                               row=row, column="maxspeed", hint="leave it empty to use the road class's speed")
    if problems.errors:
        return None
    return net.graph_from_lines(lines, network, gcj02=(crs == "gcj02"))
