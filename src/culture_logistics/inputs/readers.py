"""Readers of the villages, facilities and townships tables: columns, values and coordinates checked, every problem recorded.
"""
from __future__ import annotations

import difflib
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from culture_logistics.config.model import (
    DESTINATION_KINDS,
    OPERATORS,
    PARCELS_IN_PER_PERSON_WEEK,
    PARCELS_OUT_PER_PERSON_WEEK,
    TIERS,
)
from culture_logistics.errors import ProblemList
from culture_logistics.geo.coords import to_wgs84
from culture_logistics.inputs.aliases import (
    DESTINATION_ALIASES,
    FACILITY_ALIASES,
    TOWNSHIP_ALIASES,
    VILLAGE_ALIASES,
    destination_kind_value,
    header_map,
    operator_value,
    tier_value,
)
from culture_logistics.inputs.tables import MemoryTable, parse_number, read_table, short_text

MAX_POPULATION = 10_000_000         # one village-level unit (the largest 社区 have ~10^5 residents)


MAX_PARCELS_PER_WEEK = 10_000_000


MAX_CAPACITY_PER_DAY = 1_000_000_000


CHINA_LON = (73.0, 136.0)


CHINA_LAT = (3.0, 54.0)


VILLAGE_COLUMNS = ["code", "name", "township_code", "lon", "lat", "population"]


VILLAGE_OPTIONAL = ["parcels_in_per_week", "parcels_out_per_week", "other_in_per_week", "other_out_per_week"]


FACILITY_COLUMNS = ["id", "name", "operator", "tier", "lon", "lat"]


FACILITY_OPTIONAL = ["brand", "capacity_per_day"]


TOWNSHIP_COLUMNS = ["code", "name"]


TOWNSHIP_OPTIONAL = ["lon", "lat"]


DESTINATION_COLUMNS = ["id", "name", "kind", "village_code", "lon", "lat", "in_per_week", "out_per_week"]


DESTINATION_OPTIONAL = ["days"]


_VILLAGE_HEADERS = header_map(VILLAGE_ALIASES)


_DESTINATION_HEADERS = header_map(DESTINATION_ALIASES)


_FACILITY_HEADERS = header_map(FACILITY_ALIASES)


_TOWNSHIP_HEADERS = header_map(TOWNSHIP_ALIASES)


def _where(frame: pd.DataFrame, path):
    """(file label for problems — the file, and the sheet of a workbook —, column → header as written)."""
    headers = frame.attrs.get("headers", {})
    return frame.attrs.get("source", path), (lambda c: headers.get(c, c))


def _coordinates(frame: pd.DataFrame, path, problems: ProblemList, crs: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse lon/lat columns; check they are in China; convert GCJ-02 or BD-09 to WGS-84 when declared.

    Returns lon, lat (WGS-84) and a boolean mask of rows whose coordinates are usable.
    """
    path, col = _where(frame, path)
    n = len(frame)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for i, (x, y, row) in enumerate(zip(frame["lon"], frame["lat"], frame["src_row"])):
        fx = parse_number(x, path, row, col("lon"), problems)
        fy = parse_number(y, path, row, col("lat"), problems)
        if fx is None or fy is None:
            continue
        in_china = CHINA_LON[0] <= fx <= CHINA_LON[1] and CHINA_LAT[0] <= fy <= CHINA_LAT[1]
        if not in_china:
            swapped = CHINA_LON[0] <= fy <= CHINA_LON[1] and CHINA_LAT[0] <= fx <= CHINA_LAT[1]
            hint = ("lon and lat look swapped: swap the two values (lon is the larger number in China, ~73–136)"
                    if swapped else "lon must be 73–136 and lat 3–54 (decimal degrees) for a place in China")
            problems.error(path, f"coordinate ({fx:g}, {fy:g}) of this {what} is outside China", row=row,
                           column=col("lon"), hint=hint)
            continue
        lon[i], lat[i] = fx, fy
    ok = np.isfinite(lon) & np.isfinite(lat)
    if crs != "wgs84" and ok.any():
        lon[ok], lat[ok] = to_wgs84(lon[ok], lat[ok], crs)
    return lon, lat, ok


def _duplicates(frame: pd.DataFrame, column: str, path, problems: ProblemList, what: str) -> None:
    path, col = _where(frame, path)
    column_name = col(column)
    seen: dict[str, int] = {}
    for value, row in zip(frame[column], frame["src_row"]):
        if value == "":
            problems.error(path, f"{what} is empty", row=row, column=column_name, hint=f"every row needs a {what}")
            continue
        if value in seen:
            problems.error(path, f"duplicate {what} '{short_text(value)}' (also on row {seen[value]})", row=row,
                           column=column_name, hint=f"each {what} must be unique; remove or renumber one row")
        else:
            seen[value] = row


def read_villages(path: Path | MemoryTable, problems: ProblemList, crs: str = "wgs84", sheet: str | None = None
                  ) -> gpd.GeoDataFrame | None:
    """Read villages.csv or .xlsx (see README, "Input files") into a GeoDataFrame (EPSG:4326).

    Parameters
    ----------
    path : CSV or workbook; Chinese headers accepted (:data:`~culture_logistics.inputs.aliases.VILLAGE_ALIASES`).
    problems : where every problem is recorded (file, sheet, row, column as the file writes it).
    crs : ``"wgs84"``, ``"gcj02"`` or ``"bd09"``: lon/lat are converted to WGS-84.
    sheet : the workbook's sheet (default: the first).

    Returns
    -------
    GeoDataFrame or None
        ``None`` when any row has an error.  ``attrs["source"]`` names the file (and sheet).
    """
    frame = read_table(path, problems, VILLAGE_COLUMNS, VILLAGE_OPTIONAL, aliases=_VILLAGE_HEADERS, sheet=sheet)
    if frame is None:
        return None
    source = path
    path, col = _where(frame, path)
    n_before = len(problems.errors)
    _duplicates(frame, "code", path, problems, "village code")
    for code, tw, row in zip(frame["code"], frame["township_code"], frame["src_row"]):
        if code and not (len(code) == 12 and code.isdigit()):
            hint = "a village code has 12 digits"
            if code.replace(".", "").replace("E", "").replace("e", "").replace("+", "").isdigit():
                hint += "; it looks like a spreadsheet turned it into a number: format the column as text"
            problems.error(path, f"village code '{short_text(code)}' is not 12 digits", row=row, column=col("code"),
                           hint=hint)
        elif code and tw != code[:9]:
            problems.error(path, f"township_code '{short_text(tw)}' does not match the village code's first 9 digits "
                           f"('{code[:9]}')", row=row, column=col("township_code"),
                           hint=f"set township_code to {code[:9]} or correct the village code")
    pop = []
    pin, pout = [], []
    for pv, a_raw, b_raw, row in zip(frame["population"], frame["parcels_in_per_week"],
                                     frame["parcels_out_per_week"], frame["src_row"]):
        p = parse_number(pv, path, row, col("population"), problems, minimum=0, integer=True, maximum=MAX_POPULATION)
        pop.append(p if p is not None else np.nan)
        a = parse_number(a_raw, path, row, col("parcels_in_per_week"), problems, required=False, minimum=0,
                    maximum=MAX_PARCELS_PER_WEEK)
        b = parse_number(b_raw, path, row, col("parcels_out_per_week"), problems, required=False, minimum=0,
                    maximum=MAX_PARCELS_PER_WEEK)
        pin.append(a if a is not None else (math.ceil(p * PARCELS_IN_PER_PERSON_WEEK) if p is not None else np.nan))
        pout.append(b if b is not None else (math.ceil(p * PARCELS_OUT_PER_PERSON_WEEK) if p is not None else np.nan))
    other = {c: [np.nan if (x := parse_number(raw, path, row, col(c), problems, required=False, minimum=0,
                                              maximum=MAX_PARCELS_PER_WEEK)) is None else x
                 for raw, row in zip(frame[c], frame["src_row"])]
             for c in ("other_in_per_week", "other_out_per_week")}
    lon, lat, ok = _coordinates(frame, source, problems, crs, "village")
    out = pd.DataFrame({
        "code": frame["code"].astype(str).values,
        "name": frame["name"].astype(str).values,
        "township_code": frame["township_code"].astype(str).values,
        "population": pop,
        "parcels_in_per_week": pin,
        "parcels_out_per_week": pout,
        # NaN = not given: the scenario fills it from [demand] other_*_per_capita_week
        "other_in_per_week": other["other_in_per_week"],
        "other_out_per_week": other["other_out_per_week"],
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
    gdf = gdf.sort_values("code", kind="stable").reset_index(drop=True)
    gdf.attrs["source"] = str(path)
    return gdf


def read_facilities(path: Path | MemoryTable, problems: ProblemList, crs: str = "wgs84", sheet: str | None = None
                    ) -> gpd.GeoDataFrame | None:
    """Read facilities.csv or .xlsx (see README, "Input files") into a GeoDataFrame (EPSG:4326).

    Parameters
    ----------
    path : CSV or workbook; Chinese headers (:data:`~culture_logistics.inputs.aliases.FACILITY_ALIASES`) and
        Chinese operator / tier values (邮政 → postal, 乡镇 → township …) accepted.
    problems : where every problem is recorded (file, sheet, row, column as the file writes it).
    crs : ``"wgs84"``, ``"gcj02"`` or ``"bd09"``: lon/lat are converted to WGS-84.
    sheet : the workbook's sheet (default: the first).

    Returns
    -------
    GeoDataFrame or None
        ``None`` when any row has an error.  ``attrs["source"]`` names the file (and sheet).
    """
    frame = read_table(path, problems, FACILITY_COLUMNS, FACILITY_OPTIONAL, aliases=_FACILITY_HEADERS, sheet=sheet)
    if frame is None:
        return None
    source = path
    path, col = _where(frame, path)
    n_before = len(problems.errors)
    _duplicates(frame, "id", path, problems, "facility id")
    operators, tiers, caps = [], [], []
    for op, tier, cap, row in zip(frame["operator"], frame["tier"], frame["capacity_per_day"], frame["src_row"]):
        o = operator_value(op)
        if o not in OPERATORS:
            close = difflib.get_close_matches(o, OPERATORS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.error(path, f"unknown operator '{short_text(op)}'", row=row, column=col("operator"),
                           hint=hint + "use one of: " + ", ".join(OPERATORS)
                           + " (or 邮政, 供销社, 快递, 共配)")
        t = tier_value(tier)
        if t not in TIERS:
            close = difflib.get_close_matches(t, TIERS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.error(path, f"unknown tier '{short_text(tier)}'", row=row, column=col("tier"),
                           hint=hint + "use one of: " + ", ".join(TIERS) + " (or 县级, 乡镇, 村级)")
        c = parse_number(cap, path, row, col("capacity_per_day"), problems, required=False, minimum=0,
                    maximum=MAX_CAPACITY_PER_DAY)
        operators.append(o)
        tiers.append(t)
        caps.append(c if c is not None else np.nan)
    lon, lat, ok = _coordinates(frame, source, problems, crs, "facility")
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
    gdf = gdf.sort_values("id", kind="stable").reset_index(drop=True)
    gdf.attrs["source"] = str(path)
    return gdf


def read_townships(path: Path | MemoryTable, problems: ProblemList, crs: str = "wgs84", sheet: str | None = None
                   ) -> pd.DataFrame | None:
    """Read the optional townships.csv or .xlsx: code, name and optionally the seat's lon, lat (WGS-84 out)."""
    frame = read_table(path, problems, TOWNSHIP_COLUMNS, TOWNSHIP_OPTIONAL + ["seat_source"],
                       aliases=_TOWNSHIP_HEADERS, sheet=sheet)
    if frame is None:
        return None
    source = path
    path, col = _where(frame, path)
    n_before = len(problems.errors)
    _duplicates(frame, "code", path, problems, "township code")
    for code, row in zip(frame["code"], frame["src_row"]):
        if code and not (len(code) == 9 and code.isdigit()):
            problems.error(path, f"township code '{short_text(code)}' is not 9 digits", row=row, column=col("code"))
    has_xy = (frame["lon"] != "") & (frame["lat"] != "")
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    if has_xy.any():
        lo, la, _ = _coordinates(frame[has_xy], source, problems, crs, "township seat")
        lon[has_xy.values], lat[has_xy.values] = lo, la
    if len(problems.errors) > n_before:
        return None
    return pd.DataFrame({"code": frame["code"].values, "name": frame["name"].values, "lon": lon, "lat": lat})


#: weekday names accepted in destinations.csv ``days`` (besides the numbers 1–7, Monday = 1)
WEEKDAY_NAMES = {**{n: i for i, n in enumerate("一二三四五六日", start=1)}, "天": 7,
                 **{n: i for i, n in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start=1)},
                 **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                                "sunday"), start=1)}}

_DAY_SEPARATORS = re.compile(r"[\s,，;；、/|]+")


def parse_days(value: str) -> tuple[tuple[int, ...] | None, str]:
    """The weekdays of a destinations.csv ``days`` cell: ``"1,4"`` → ``(1, 4)`` (Monday = 1; also ``"1 4"``,
    ``"1，4"``, ``"周一、周四"``, ``"Mon,Thu"``); ``()`` for an empty cell (any delivery day).

    Returns
    -------
    (days sorted, "") or (None, what is wrong) for a value that is no list of distinct weekdays.
    """
    text = str(value).strip()
    if not text:
        return (), ""
    out: list[int] = []
    for part in _DAY_SEPARATORS.split(text):
        if not part:
            continue
        p = part.lower()
        for prefix in ("星期", "礼拜", "周"):
            if p.startswith(prefix):
                p = p[len(prefix):]
                break
        if p in WEEKDAY_NAMES:
            d = WEEKDAY_NAMES[p]
        elif p.isdigit() and 1 <= int(p) <= 7:
            d = int(p)
        else:
            return None, f"'{short_text(part)}' is not a weekday 1–7"
        if d in out:
            return None, f"day {d} is listed twice"
        out.append(d)
    return tuple(sorted(out)), ""


def read_destinations(path: Path | MemoryTable, problems: ProblemList, crs: str = "wgs84", sheet: str | None = None
                      ) -> gpd.GeoDataFrame | None:
    """Read the optional destinations.csv or .xlsx (see docs/CONTRACT.md, "destinations.csv") into a GeoDataFrame.

    Parameters
    ----------
    path : CSV or workbook; Chinese headers (:data:`~culture_logistics.inputs.aliases.DESTINATION_ALIASES`) and
        Chinese kinds (文化超市 → culture_store, 综合文化服务中心 → cultural_centre, 农家书屋 → library) accepted.
    problems : where every problem is recorded (file, sheet, row, column as the file writes it).
    crs : ``"wgs84"``, ``"gcj02"`` or ``"bd09"``: lon/lat are converted to WGS-84.
    sheet : the workbook's sheet (default: the first).

    Returns
    -------
    GeoDataFrame or None
        columns id, name, kind (:data:`~culture_logistics.config.model.DESTINATION_KINDS`), village_code,
        township_code (its first 9 digits), in_per_week, out_per_week (cultural parcels a week), days (tuple of
        weekdays, ``()`` = any delivery day), lon, lat, src_row, geometry (EPSG:4326); sorted by id.  ``None`` when
        any row has an error.  The village codes are checked against villages.csv by
        :func:`~culture_logistics.inputs.validate.check_scenario`.
    """
    frame = read_table(path, problems, DESTINATION_COLUMNS, DESTINATION_OPTIONAL, aliases=_DESTINATION_HEADERS,
                       sheet=sheet)
    if frame is None:
        return None
    source = path
    path, col = _where(frame, path)
    n_before = len(problems.errors)
    _duplicates(frame, "id", path, problems, "destination id")
    kinds, pin, pout, days = [], [], [], []
    for kind, code, a_raw, b_raw, d_raw, row in zip(frame["kind"], frame["village_code"], frame["in_per_week"],
                                                    frame["out_per_week"], frame["days"], frame["src_row"]):
        k = destination_kind_value(kind)
        if k not in DESTINATION_KINDS:
            close = difflib.get_close_matches(k, DESTINATION_KINDS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.error(path, f"unknown kind '{short_text(kind)}'", row=row, column=col("kind"),
                           hint=hint + "use one of: " + ", ".join(DESTINATION_KINDS)
                           + " (or 文化超市, 文化产品展销店, 综合文化服务中心, 农家书屋)")
        kinds.append(k)
        if not (len(code) == 12 and code.isdigit()):
            problems.error(path, f"village code '{short_text(code)}' is not 12 digits", row=row,
                           column=col("village_code"),
                           hint="the 12-digit code of the village (in villages.csv) the destination is in; format "
                                "the column as text")
        a = parse_number(a_raw, path, row, col("in_per_week"), problems, minimum=0, maximum=MAX_PARCELS_PER_WEEK)
        b = parse_number(b_raw, path, row, col("out_per_week"), problems, minimum=0, maximum=MAX_PARCELS_PER_WEEK)
        pin.append(np.nan if a is None else a)
        pout.append(np.nan if b is None else b)
        d, why = parse_days(d_raw)
        if d is None:
            problems.error(path, f"days '{short_text(d_raw)}': {why}", row=row, column=col("days"),
                           hint="list the weekdays it receives, Monday = 1, separated by commas (e.g. 1,4); "
                                "leave it empty for any delivery day")
        days.append(d if d is not None else ())
    lon, lat, ok = _coordinates(frame, source, problems, crs, "destination")
    if len(problems.errors) > n_before:
        return None
    if frame.empty:
        problems.error(path, "has no destination rows", hint="add one row per destination under the header, or "
                       "remove destinations from [inputs]")
        return None
    out = pd.DataFrame({
        "id": frame["id"].astype(str).values,
        "name": frame["name"].astype(str).values,
        "kind": kinds,
        "village_code": frame["village_code"].astype(str).values,
        "township_code": frame["village_code"].astype(str).str[:9].values,
        "in_per_week": np.asarray(pin, dtype=float),
        "out_per_week": np.asarray(pout, dtype=float),
        "days": days,
        "lon": lon,
        "lat": lat,
        "src_row": frame["src_row"].values,
    })
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs="EPSG:4326")
    gdf = gdf.sort_values("id", kind="stable").reset_index(drop=True)
    gdf.attrs["source"] = str(path)
    return gdf
