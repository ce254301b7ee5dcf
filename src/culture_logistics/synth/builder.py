"""Deterministic, seeded builder of a county dataset (partly real, partly synthetic).

:func:`build_county` writes, for one Shandong county, the six files of the input
contract (``docs/CONTRACT.md``)::

    scenario.toml  villages.csv  facilities.csv  townships.csv  roads.geojson  README.md

Real parts
    * every township and village-level unit of the county with its real name and
      9/12-digit code (NBS 统计用区划代码 2023, ``data/divisions``); nothing skipped;
    * township seat points from GeoNames (CC BY 4.0) where matched
      (``data/geonames``; ``seat_source = geonames`` in ``townships.csv``);
    * the county seat (GeoNames city point, or geotool-cn's representative point);
    * the county boundary (:func:`culture_logistics.geo.boundary.county_extent`), read
      at run time from the installed geotool-cn package; all generated points and
      roads lie inside it.  The polygon itself is never written out.

Synthetic parts (declared in ``scenario.toml [data]`` and the dataset README)
    * township seats without a GeoNames point (farthest-point placement plus
      Lloyd relaxation inside the boundary; subdistricts near the county seat);
    * village coordinates (inside their township's Voronoi cell, >= ~300 m apart),
      village populations (seeded lognormal, then scaled so the county's villages sum to its 2020
      census resident population, :mod:`culture_logistics.synth.census`);
    * all facility sites, names, brands and capacities;
    * the road network.

Output is byte-identical for the same ``(adcode, seed)`` and the same installed
geotool-cn data: rows are sorted, floats have fixed formatting (6 decimals for
degrees), JSON is written with ``sort_keys`` and ``ensure_ascii=False``, and no
timestamps are written.  All randomness comes from
``numpy.random.default_rng(seed + int(adcode))`` and streams spawned from it.

Placement works in the county's UTM zone (EPSG:326xx, metres); outputs are
WGS-84 lon/lat degrees (EPSG:4326).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.synth.census import CENSUS_CREDIT, census_figure, scale_to_total
from culture_logistics.synth.common import (
    DEFAULT_SEED,
    INNER_BUFFER_M,
    MIN_SPACING_M,
    RESIDENT_RADIUS_SUBDISTRICT_M,
    RESIDENT_RADIUS_TOWN_M,
    SEAT_CLEARANCE_M,
    VILLAGE_RADIUS_M,
    County,
    Frame,
    fmt_float,
    largest_polygon,
    min_dist,
    round_ll,
    sample_in,
    shrink_region,
    snap_inside,
)
from culture_logistics.synth.destinations import DESTINATIONS_README, destinations_text
from culture_logistics.synth.facilities import (  # noqa: F401 (unreached_share: API)
    fleet_sizes,
    flow_stats,
    other_flows,
    place_facilities,
    unreached_share,
)
from culture_logistics.synth.files import (
    csv_text,
    readme_text,
    roads_text,
    scenario_text,
    sha,
)
from culture_logistics.synth.roads import build_roads


def _zone_extent(adcode: str, n_townships: int) -> tuple[Polygon, tuple[float, float]]:
    """Synthetic disc for an NBS functional zone (no polygon of its own).

    Centred on the representative point of the lowest-coded district of the
    same city (usually the urban core the zone adjoins), area 40 km² per
    township (at least 60 km²).
    """
    city = adcode[:4]
    cands = sorted(c for c in divisions.counties()["code"] if c.startswith(city) and boundary.county_rep_point(c))
    if not cands:
        raise ValueError(f"{adcode}: no boundary, bbox or sibling county to place a synthetic extent")
    lon, lat = boundary.county_rep_point(cands[0])
    frame = Frame.for_point(lon, lat)
    x, y = frame.to_m(lon, lat)
    radius = math.sqrt(max(60.0, 40.0 * n_townships) * 1e6 / math.pi)
    disc_m = Point(float(x), float(y)).buffer(radius, 64)
    return frame.geom_to_ll(disc_m), (lon, lat)


def _county_frame(adcode: str, name: str, n_townships: int, use_geotool: bool) -> County:
    geom_ll, source = boundary.county_extent(adcode, use_geotool=use_geotool)
    version = boundary.gtc_data_version() if source == "geotool-cn" else ""
    seat_ll = boundary.county_seat(adcode)
    if geom_ll is None:
        geom_ll, centre = _zone_extent(adcode, n_townships)
        source = "synthetic-disc"
        seat_ll = seat_ll or centre
    c = geom_ll.centroid
    frame = Frame.for_point(c.x, c.y)
    geom_m = frame.geom_to_m(geom_ll)
    region = largest_polygon(geom_m)
    inner = shrink_region(region, INNER_BUFFER_M)
    safe = shrink_region(region, 5.0, 0.0)
    if seat_ll is None:
        p = region.representative_point()
        seat_xy, seat_source = np.array([p.x, p.y]), "representative-point"
    else:
        sx, sy = frame.to_m(*seat_ll)
        seat_xy = snap_inside(np.array([float(sx), float(sy)]), inner)
        rows = boundary.geonames_places(adcode)
        seat_source = "geonames" if any(
            (float(r["lng"]), float(r["lat"])) == tuple(seat_ll) for r in rows) else "representative-point"
        if source == "synthetic-disc":
            seat_source = "synthetic"
    for g in (inner, safe):
        shapely.prepare(g)
    return County(adcode, name, frame, source, version or "", region, inner, safe, seat_xy, seat_source)


def _place_seats(cty: County, tws: list[dict], rng: np.random.Generator) -> None:
    """Fill ``tw["xy"]`` and ``tw["seat_source"]`` for every township (in place)."""
    real = boundary.township_seats_geonames(cty.adcode)
    fixed = [cty.seat_xy]
    for tw in tws:
        if tw["code"] in real:
            x, y = cty.frame.to_m(*real[tw["code"]])
            xy = np.array([float(x), float(y)])
            if cty.region.contains(Point(xy)):
                tw["xy"], tw["seat_source"] = xy, "geonames"
                tw["seat_ll"] = real[tw["code"]]
                fixed.append(xy)
                continue
        tw["xy"], tw["seat_source"] = None, "synthetic"
    synth = [tw for tw in tws if tw["xy"] is None]
    if not synth:
        return
    seat_area = shrink_region(cty.region, 1000.0)
    cand = sample_in(seat_area, 6000, rng)
    has_rural = any(tw["kind"] in ("town", "township") for tw in tws)
    n_sub = sum(tw["kind"] == "subdistrict" for tw in tws)
    r_urban = max(3000.0, 2500.0 * math.sqrt(max(n_sub, 1)))
    d_seat = np.hypot(cand[:, 0] - cty.seat_xy[0], cand[:, 1] - cty.seat_xy[1])

    def allowed(tw) -> np.ndarray:
        if has_rural and tw["kind"] == "subdistrict":
            m = d_seat <= r_urban
        elif has_rural and tw["kind"] == "other":
            m = d_seat <= 2.0 * r_urban
        else:
            m = np.ones(len(cand), bool)
        if m.sum() < 20:
            m = np.argsort(d_seat)[:200]
            mm = np.zeros(len(cand), bool)
            mm[m] = True
            m = mm
        return m

    masks = [allowed(tw) for tw in synth]
    placed = list(fixed)
    for tw, m in zip(synth, masks):  # farthest-point insertion, in code order
        d = min_dist(cand, np.array(placed))
        d[~m] = -1
        tw["xy"] = cand[int(np.argmax(d))].copy()
        placed.append(tw["xy"])
    fixed_arr = np.array(fixed)
    for _ in range(8):  # Lloyd relaxation of the synthetic seats only
        seats = np.vstack([fixed_arr] + [tw["xy"][None] for tw in synth])
        d = np.hypot(cand[:, None, 0] - seats[None, :, 0], cand[:, None, 1] - seats[None, :, 1])
        owner = d.argmin(axis=1)
        for k, (tw, m) in enumerate(zip(synth, masks)):
            sel = (owner == len(fixed_arr) + k) & m
            if sel.sum() == 0:
                continue
            c = cand[sel].mean(axis=0)
            if not seat_area.contains(Point(c)):
                c = cand[sel][np.argmin(np.hypot(*(cand[sel] - c).T))]
            tw["xy"] = c


def _place_villages(cty: County, tws: list[dict], vils: list[dict], rng: np.random.Generator) -> dict:
    seats = np.array([tw["xy"] for tw in tws])
    vor = shapely.voronoi_polygons(MultiPoint([tuple(s) for s in seats]), extend_to=cty.region.envelope)
    cells: dict[Any, Any] = {}
    for poly in vor.geoms:
        inside = shapely.contains_xy(poly, seats[:, 0], seats[:, 1])
        for k in np.flatnonzero(inside):
            cells[int(k)] = poly.intersection(cty.inner)
    for k in range(len(tws)):  # type: ignore[assignment]
        cells.setdefault(k, cty.inner)
    blocked = np.vstack([seats, cty.seat_xy[None]])
    placed = np.empty((0, 2))
    zones: dict[tuple, Any] = {}
    relaxed = 0
    min_used = MIN_SPACING_M
    by_tw: dict[str, list[dict]] = {}
    for v in vils:
        by_tw.setdefault(v["township_code"], []).append(v)
    for k, tw in enumerate(tws):  # type: ignore[assignment]
        sx, sy = tw["xy"]
        for v in by_tw.get(tw["code"], []):
            resident = v["kind"].startswith("residents")
            if resident:
                r = RESIDENT_RADIUS_SUBDISTRICT_M if tw["kind"] == "subdistrict" else RESIDENT_RADIUS_TOWN_M
            else:
                r = VILLAGE_RADIUS_M
            spacing = MIN_SPACING_M
            use_cell = True
            done = False
            for attempt in range(60):
                if attempt and attempt % 6 == 0:
                    r *= 1.35
                    spacing = max(100.0, spacing * 0.85)
                if attempt == 36:
                    use_cell = False
                key = (k, round(r), use_cell)
                if key not in zones:
                    base = cells[k] if use_cell else cty.inner
                    z = base.intersection(Point(sx, sy).buffer(r, 32))
                    if not z.is_empty:
                        shapely.prepare(z)
                    zones[key] = z
                zone = zones[key]
                if zone.is_empty or zone.area < 1.0:
                    continue
                minx, miny, maxx, maxy = zone.bounds
                x = rng.uniform(minx, maxx, 64)
                y = rng.uniform(miny, maxy, 64)
                ok = shapely.contains_xy(zone, x, y)
                if not ok.any():
                    continue
                pts = np.column_stack([x[ok], y[ok]])
                good = (min_dist(pts, placed) >= spacing) & (min_dist(pts, blocked) >= min(SEAT_CLEARANCE_M, spacing))
                if good.any():
                    p = pts[int(np.argmax(good))]
                    v["xy"] = p
                    placed = np.vstack([placed, p[None]])
                    if spacing < MIN_SPACING_M or not use_cell:
                        relaxed += 1
                        min_used = min(min_used, spacing)
                    done = True
                    break
            if not done:  # last resort: anywhere inside, ignoring spacing
                p = sample_in(cty.inner, 1, rng)[0]
                v["xy"] = p
                placed = np.vstack([placed, p[None]])
                relaxed += 1
                min_used = 0.0
    return {"relaxed_villages": relaxed, "min_spacing_used_m": min_used}


def _populations(vils: list[dict], rng: np.random.Generator) -> None:
    z = rng.standard_normal(len(vils))
    for v, zi in zip(vils, z):
        if v["kind"].startswith("residents"):
            median, sigma, lo, hi = 4243.0, 0.457, 800, 15000      # 居委会/社区: ~2,000-9,000
        elif "社区" in v["name"]:
            median, sigma, lo, hi = 3500.0, 0.45, 800, 15000       # merged rural 社区 (村委会)
        else:
            median, sigma, lo, hi = 1342.0, 0.489, 200, 6000       # 村委会: ~600-3,000
        v["population"] = int(np.clip(round(median * math.exp(sigma * zi)), lo, hi))


def _calibrate(adcode: str, name: str, vils: list[dict]) -> dict:
    """Scale the generated populations (in place) to the county's 2020 census resident population.

    The lognormal draw fixes how the population is shared among villages; the census fixes the total
    (exactly, by largest remainder).  Returns the summary's ``census`` entry (``None`` figures when the
    census has no such unit: the populations stay as drawn).
    """
    drawn = int(sum(v["population"] for v in vils))
    fig = census_figure(adcode, name)
    if fig is None or not vils:
        return {"census_population": None, "census_code": None, "census_matched_by": None,
                "drawn_population": drawn}
    for v, p in zip(vils, scale_to_total([v["population"] for v in vils], fig.population)):
        v["population"] = p
    return {"census_population": fig.population, "census_code": fig.code, "census_matched_by": fig.matched_by,
            "drawn_population": drawn}


def build_county(adcode: str, out_dir: Path, seed: int = DEFAULT_SEED, *, use_geotool: bool = True,
                 destinations: bool = False) -> dict:
    """Build the embedded dataset of one Shandong county.

    Parameters
    ----------
    adcode : str
        6-digit county code (any of the 151 NBS Shandong county-level units,
        including functional zones ``37xx7x``, which get a synthetic disc extent).
    out_dir : pathlib.Path
        Folder to write ``scenario.toml, villages.csv, facilities.csv,
        townships.csv, roads.geojson, README.md`` into (created if missing;
        existing files of those names are overwritten).
    seed : int, default 20261126
        Base seed; the generator is ``numpy.random.default_rng(seed + int(adcode))``.
    use_geotool : bool, default True
        Use the geotool-cn county polygon when installed; ``False`` forces the
        bbox fallback (``boundary_source = "bbox"``).
    destinations : bool, default False
        Also write a synthetic ``destinations.csv`` (:mod:`culture_logistics.synth.destinations`: 文化超市 at
        some township seats, 综合文化服务中心 and 农家书屋 in some villages), name it in ``[inputs]`` and say so in
        the README.  Off by default: no embedded county carries it yet.

    Returns
    -------
    dict
        Summary: counts of townships, villages, facilities (by operator and
        tier), road nodes/edges/lines/km, the share of villages not reached by
        all three carrying operators within 3000 m (straight line x 1.3),
        boundary source, UTM EPSG code, the census figure the populations were
        scaled to (``census_population``; ``drawn_population`` before scaling)
        and the sha256 of each file written.
    """
    adcode = str(adcode)
    name = divisions.county_name(adcode)
    if name is None:
        raise ValueError(f"unknown county code {adcode!r} (not in the Shandong NBS 2023 list)")
    tw_df = divisions.townships(adcode)
    v_df = divisions.villages(adcode)
    if tw_df.empty:
        raise ValueError(f"{adcode} {name}: no township-level units in the division list")
    tws = [dict(code=r.code, name=r.name, kind=r.kind) for r in tw_df.itertuples(index=False)]
    vils = [dict(code=r.code, name=r.name, township_code=r.parent_code, kind=r.kind)
            for r in v_df.itertuples(index=False)]

    base = np.random.default_rng(int(seed) + int(adcode))
    names = ["seats", "villages", "population", "county", "township",
             "village_postal", "village_supply_coop", "village_courier", "village_shared", "roads", "flows"]
    streams = dict(zip(names, base.spawn(len(names))))

    cty = _county_frame(adcode, name, len(tws), use_geotool)
    _place_seats(cty, tws, streams["seats"])
    place_stats = _place_villages(cty, tws, vils, streams["villages"])
    _populations(vils, streams["population"])
    census = _calibrate(adcode, name, vils)
    other_flows(vils, streams["flows"], adcode)
    facs, fac_stats = place_facilities(cty, tws, vils, streams)
    lines, road_stats = build_roads(cty, tws, vils, streams["roads"])
    stats = {**road_stats, **place_stats, **fac_stats, **census}
    return _write(cty, int(seed), tws, vils, facs, lines, stats, Path(out_dir), destinations=destinations)


def _write(cty: County, seed: int, tws: list[dict], vils: list[dict], facs: list[dict], lines: list[dict],
           stats: dict, out_dir: Path, destinations: bool = False) -> dict:
    """Write the six files of the county's dataset; return :func:`build_county`'s summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # villages.csv
    vx, vy = cty.frame.to_ll([v["xy"][0] for v in vils], [v["xy"][1] for v in vils]) if vils else ([], [])
    v_rows = [[v["code"], v["name"], v["township_code"], fmt_float(x), fmt_float(y), v["population"],
               v["other_in_per_week"], v["other_out_per_week"]] for v, x, y in zip(vils, vx, vy)]
    v_rows.sort(key=lambda r: r[0])
    # townships.csv (real GeoNames seats keep their published coordinates)
    t_rows = []
    for tw in tws:
        if tw["seat_source"] == "geonames":
            x, y = round_ll(*tw["seat_ll"])
        else:
            x, y = cty.frame.to_ll(tw["xy"][0], tw["xy"][1])
        t_rows.append([tw["code"], tw["name"], fmt_float(float(x)), fmt_float(float(y)), tw["seat_source"]])
    t_rows.sort(key=lambda r: r[0])
    # facilities.csv
    fx, fy = cty.frame.to_ll([f["xy"][0] for f in facs], [f["xy"][1] for f in facs])
    f_rows = [[f["id"], f["name"], f["op"], f["tier"], fmt_float(x), fmt_float(y), f["brand"],
               "" if f["cap"] is None else int(f["cap"])] for f, x, y in zip(facs, fx, fy)]
    f_rows.sort(key=lambda r: r[0])

    by_op: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    by_op_tier: dict[str, int] = {}
    for f in facs:
        by_op[f["op"]] = by_op.get(f["op"], 0) + 1
        by_tier[f["tier"]] = by_tier.get(f["tier"], 0) + 1
        by_op_tier[f"{f['op']}/{f['tier']}"] = by_op_tier.get(f"{f['op']}/{f['tier']}", 0) + 1
    summary = {
        "adcode": cty.adcode, "name": cty.name, "seed": seed,
        "boundary_source": cty.boundary_source, "boundary_data_version": cty.boundary_version,
        "utm_epsg": cty.frame.epsg, "county_seat_source": cty.seat_source,
        "townships": len(tws), "seats_geonames": sum(tw["seat_source"] == "geonames" for tw in tws),
        "villages": len(vils), "population": int(sum(v["population"] for v in vils)),
        "facilities": {"total": len(facs), "by_operator": dict(sorted(by_op.items())),
                       "by_tier": dict(sorted(by_tier.items())), "by_operator_tier": dict(sorted(by_op_tier.items()))},
        "road_features": len(lines), **stats, **flow_stats(tws, vils),
    }
    pop_note = (f"village populations scaled to the county's 2020 census resident population "
                f"({summary['census_population']:,}; {CENSUS_CREDIT})" if summary["census_population"] else
                "village populations not calibrated (no census figure for this unit)")
    note = (f"Real: township/village names and codes (NBS 2023), {summary['seats_geonames']} township seats and "
            f"the county seat from GeoNames (CC BY 4.0), boundary from {cty.boundary_source}; {pop_note}. "
            f"Synthetic: other township seats, all village coordinates, how the population is shared among "
            f"villages, the villages' other express parcels (other_in_per_week, other_out_per_week), facilities "
            f"and roads (seed {seed}). For planning exercises, not survey data.")

    files = {
        "villages.csv": csv_text(["code", "name", "township_code", "lon", "lat", "population", "other_in_per_week",
                                  "other_out_per_week"], v_rows),
        "facilities.csv": csv_text(["id", "name", "operator", "tier", "lon", "lat", "brand", "capacity_per_day"], f_rows),
        "townships.csv": csv_text(["code", "name", "lon", "lat", "seat_source"], t_rows),
        "roads.geojson": roads_text(cty.adcode, lines),
        "scenario.toml": scenario_text(cty, seed, note, fleet_sizes(tws, vils, facs)),
        "README.md": readme_text(cty, seed, summary),
    }
    if destinations:   # opt-in: the synthetic cultural destinations, named in [inputs] and the README
        head = ["code", "name", "township_code", "lon", "lat"]
        files["destinations.csv"] = destinations_text(cty.adcode, pd.DataFrame([r[:5] for r in v_rows], columns=head),
                                                      pd.DataFrame([r[:4] for r in t_rows],
                                                                   columns=["code", "name", "lon", "lat"]))
        files["scenario.toml"] = files["scenario.toml"].replace(
            'townships = "townships.csv"\n', 'townships = "townships.csv"\ndestinations = "destinations.csv"\n', 1)
        files["README.md"] = files["README.md"].replace("\nCoordinates: WGS-84", "\n" + DESTINATIONS_README
                                                        + "\nCoordinates: WGS-84", 1)
    for fname, text in files.items():
        (out_dir / fname).write_bytes(text.encode("utf-8"))
    summary["files"] = {fname: sha(out_dir / fname) for fname in sorted(files)}
    return summary
