"""Coverage: which villages the delivery network reaches, by whom, and how far.

Definitions (also in README.md, "Coverage"):

* A facility of operator ``shared`` (a co-delivery point) accepts every operator's parcels.
* A village is *reached by* carrying operator X (postal, supply_coop, courier) when a facility of
  X, or a ``shared`` facility, lies within ``[coverage] radius_m`` of it along the network.
* A village is *reached* when every carrying operator that has at least one facility in the county
  reaches it, and *reached_any* when at least one does.  (With no carrying operator in the county,
  both mean "a shared facility within the radius".)
* Distances are network distances: access leg + shortest road path + access leg (see
  :mod:`culture_logistics.network`); travel times follow the same path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from culture_logistics.config.model import CARRIERS
from culture_logistics.config.routing import RoutingParams
from culture_logistics.config.visits import visits_per_week
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.network.roads import RoadNetwork, Snap

GAP_COLUMNS = [
    "village_code", "village_name", "township_code", "township_name", "population", "reached_any", "reached_by",
    "missing_operators", "nearest_facility_id", "nearest_operator", "distance_m",
] + [f"{op}_{k}" for op in CARRIERS for k in ("nearest_id", "distance_m", "travel_time_min")]


TOWNSHIP_REACH_COLUMNS = [
    "township_code", "township_name", "villages", "villages_reached", "villages_reached_any",
    "villages_unreachable", "population", "population_reached", "population_reached_any", "reach_rate",
    "population_reach_rate", "mean_distance_m", "worst_distance_m",
] + [f"villages_reached_by_{op}" for op in CARRIERS] + ["visits_per_week"]


VILLAGE_REACH_COLUMNS = [
    "village_code", "village_name", "township_code", "township_name", "population", "reached", "reached_any",
    "reached_by", "nearest_facility_id", "nearest_operator", "distance_m", "travel_time_min", "visits_per_week",
]


#: destination_reach.csv (with cultural destinations): one row per destination, reached as a village is
DESTINATION_REACH_COLUMNS = [
    "destination_id", "destination_name", "kind", "village_code", "village_name", "township_code", "township_name",
    "in_per_week", "out_per_week", "days", "reached", "reached_any", "reached_by", "nearest_facility_id",
    "nearest_operator", "distance_m", "travel_time_min",
]


@dataclass
class CoverageResult:
    """The coverage of one county.

    Attributes
    ----------
    villages : GeoDataFrame (EPSG:4326), one row per village sorted by code, with the
        ``VILLAGE_REACH_COLUMNS`` plus per-operator ``dist_<op>_m``, ``time_<op>_min``,
        ``nearest_<op>_id`` and ``reached_by_<op>`` columns, ``missing_operators`` and the
        village's ``lon``/``lat``.
    townships : per township: villages, reached, reached_any, population, population_reached,
        reach rates, mean and worst distance to the nearest facility (m).
    carriers : carrying operators present in the county (those that define *reached*).
    radius_m : the coverage radius used.
    destinations : the cultural destinations' reach (:data:`DESTINATION_REACH_COLUMNS`, the flags as booleans,
        distances as numbers), or None without destinations.  They are not villages: no village figure counts them.
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    townships: pd.DataFrame
    carriers: list[str]
    radius_m: float
    network: RoadNetwork = field(repr=False, default=None)
    destinations: pd.DataFrame | None = None

    def destination_table(self) -> pd.DataFrame:
        """The ``destination_reach.csv`` table (:data:`DESTINATION_REACH_COLUMNS`), sorted by id; empty without
        destinations."""
        d = self.destinations
        if d is None:
            return pd.DataFrame(columns=DESTINATION_REACH_COLUMNS)
        t = d[DESTINATION_REACH_COLUMNS].copy()
        t["in_per_week"] = _fmt(d["in_per_week"], "{:g}")
        t["out_per_week"] = _fmt(d["out_per_week"], "{:g}")
        t["reached"] = np.where(d["reached"], "true", "false")
        t["reached_any"] = np.where(d["reached_any"], "true", "false")
        t["distance_m"] = _fmt(d["distance_m"], "{:.0f}")
        t["travel_time_min"] = _fmt(d["travel_time_min"], "{:.1f}")
        return t.reset_index(drop=True)

    def summary(self) -> dict:
        v = self.villages
        pop = int(v["population"].sum())
        out: dict[str, Any] = {
            "county": self.scenario.adcode,
            "county_name": self.scenario.name,
            "radius_m": self.radius_m,
            "carriers": self.carriers,
            "villages": int(len(v)),
            "villages_reached": int(v["reached"].sum()),
            "villages_reached_any": int(v["reached_any"].sum()),
            "villages_unreachable": int((~np.isfinite(v["distance_m"].astype(float))).sum()),
            "population": pop,
            "population_reached": int(v.loc[v["reached"], "population"].sum()),
            "population_reached_any": int(v.loc[v["reached_any"], "population"].sum()),
            "reach_rate": round(float(v["reached"].mean()), 4) if len(v) else 0.0,
            "by_operator": {},
            "synthetic_data": self.scenario.synthetic,
        }
        if "visits_per_week" in v:
            n = v["visits_per_week"].to_numpy(int)
            out["visits_per_week"] = {
                "rule": "clamp(ceil((parcels_in_per_week + parcels_out_per_week) / parcels_per_visit), "
                        "min_visits_per_week, delivery_days_per_week); 0 without parcels ([routing])",
                "visits": int(n.sum()), "mean": round(float(n[n > 0].mean()), 2) if (n > 0).any() else 0.0,
                "villages_by_visits": {str(k): int((n == k).sum()) for k in sorted(set(n.tolist()))}}
        for op in CARRIERS:
            col = f"reached_by_{op}"
            if col in v:
                out["by_operator"][op] = {
                    "facilities": int((self.scenario.facilities["operator"] == op).sum()),
                    "villages_reached": int(v[col].sum()),
                    "population_reached": int(v.loc[v[col], "population"].sum()),
                }
        out["by_operator"]["shared"] = {
            "facilities": int((self.scenario.facilities["operator"] == "shared").sum()),
            "villages_reached": int(v["reached_by_shared"].sum()),
            "population_reached": int(v.loc[v["reached_by_shared"], "population"].sum()),
        }
        return out

    @property
    def gaps(self) -> gpd.GeoDataFrame:
        """Villages not reached, with the missing operators and how far each one's nearest facility is."""
        g = self.villages[~self.villages["reached"]].copy()
        return g

    def gap_table(self) -> pd.DataFrame:
        """The ``gaps.csv`` table: one row per village that is not *reached*, sorted by code.

        Columns ``GAP_COLUMNS``: the village, ``reached_any``/``reached_by`` (as in
        ``village_reach.csv``), ``missing_operators`` (carrying operators that do not reach it,
        ``;``-separated), the nearest facility overall, and for every carrying operator
        ``<op>_nearest_id`` / ``<op>_distance_m`` / ``<op>_travel_time_min``: its nearest facility
        (of that operator or shared) along the network.  Empty cells: no facility reachable at all,
        or an operator with no facility in the county (it does not define *reached*).
        """
        g = self.gaps
        t = pd.DataFrame({c: g[c] for c in ("village_code", "village_name", "township_code", "township_name",
                                            "population")})
        t["reached_any"] = np.where(g["reached_any"], "true", "false")
        t["reached_by"] = g["reached_by"]
        t["missing_operators"] = g["missing_operators"]
        t["nearest_facility_id"] = g["nearest_facility_id"]
        t["nearest_operator"] = g["nearest_operator"]
        t["distance_m"] = _fmt(g["distance_m"], "{:.0f}")
        for op in CARRIERS:
            present = op in self.carriers
            t[f"{op}_nearest_id"] = g[f"nearest_{op}_id"] if present else ""
            t[f"{op}_distance_m"] = _fmt(g[f"dist_{op}_m"], "{:.0f}") if present else ""
            t[f"{op}_travel_time_min"] = _fmt(g[f"time_{op}_min"], "{:.1f}") if present else ""
        return t[GAP_COLUMNS].reset_index(drop=True)

    def township_table(self) -> pd.DataFrame:
        """The ``township_reach.csv`` table (``TOWNSHIP_REACH_COLUMNS``), sorted by township code."""
        return self.townships[TOWNSHIP_REACH_COLUMNS].reset_index(drop=True)

    def service_areas(self, buffer_m: float = 150.0, simplify_m: float = 25.0) -> gpd.GeoDataFrame:
        """Network service area of every carrying operator as polygons; see :func:`service_areas`."""
        return service_areas(self, buffer_m=buffer_m, simplify_m=simplify_m)

    def service_area_lines(self, simplify_m: float = 10.0) -> gpd.GeoDataFrame:
        """Roads within reach of every carrying operator; see :func:`service_area_lines`."""
        return service_area_lines(self, simplify_m=simplify_m)

    def village_table(self) -> pd.DataFrame:
        """The ``village_reach.csv`` table (see README, "Coverage outputs")."""
        v = self.villages
        t = pd.DataFrame({c: v[c] for c in VILLAGE_REACH_COLUMNS})
        t["reached"] = np.where(v["reached"], "true", "false")
        t["reached_any"] = np.where(v["reached_any"], "true", "false")
        finite = np.isfinite(v["distance_m"].astype(float))
        t["distance_m"] = [f"{d:.0f}" if ok else "" for d, ok in zip(v["distance_m"], finite)]
        t["travel_time_min"] = [f"{d:.1f}" if ok else "" for d, ok in zip(v["travel_time_min"], finite)]
        return t.reset_index(drop=True)


def compute_coverage(scenario: Scenario, network: RoadNetwork | None = None,
                     radius_m: float | None = None) -> CoverageResult:
    """Compute per-village reach, per operator and overall, on the road network.

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.inputs.scenario.Scenario`.
    network : a prepared :class:`RoadNetwork` (built from the scenario when omitted).
    radius_m : coverage radius in metres along the network (default ``[coverage] radius_m``).

    Returns
    -------
    CoverageResult
        ``villages`` (GeoDataFrame, EPSG:4326, one row per village: ``reached``, ``reached_any``,
        ``reached_by``, nearest facility, ``distance_m`` in metres along the road network including the
        access legs, ``travel_time_min``), ``townships`` (per-township counts and rates) and ``summary()``.
        Distances are computed in the county's UTM zone (metres); a village beyond ``[network]
        max_access_m`` from the connected network has no distance and is not reached.
    """
    net = network or RoadNetwork.from_scenario(scenario)
    radius = float(radius_m if radius_m is not None else scenario.coverage.radius_m)
    v = scenario.villages
    f = scenario.facilities
    vs = net.snap(v["lon"].to_numpy(), v["lat"].to_numpy())
    fs = net.snap(f["lon"].to_numpy(), f["lat"].to_numpy())
    ops = f["operator"].to_numpy()
    ids = f["id"].to_numpy()
    carriers = [op for op in CARRIERS if (ops == op).any()]

    def nearest_of(mask: np.ndarray):
        idx = np.flatnonzero(mask)
        sub = snap_subset(fs, idx)
        d, t, s = net.nearest(sub, vs)
        fid = np.where(s >= 0, ids[idx[np.maximum(s, 0)]] if len(idx) else "", "")
        return d, t, fid, np.where(s >= 0, idx[np.maximum(s, 0)] if len(idx) else -1, -1)

    out = pd.DataFrame({
        "village_code": v["code"].values, "village_name": v["name"].values,
        "township_code": v["township_code"].values, "township_name": v["township_name"].values,
        "population": v["population"].values,
    })
    d_all, t_all, id_all, k_all = nearest_of(np.ones(len(f), bool))
    out["nearest_facility_id"] = id_all
    out["nearest_operator"] = np.where(k_all >= 0, ops[np.maximum(k_all, 0)] if len(f) else "", "")
    out["distance_m"] = d_all
    out["travel_time_min"] = t_all / 60.0
    reached_by = {}
    for op in list(CARRIERS) + ["shared"]:
        mask = (ops == op) | (ops == "shared")
        d, t, fid, _ = nearest_of(mask)
        out[f"dist_{op}_m"] = d
        out[f"time_{op}_min"] = t / 60.0
        out[f"nearest_{op}_id"] = fid
        out[f"reached_by_{op}"] = d <= radius
        reached_by[op] = d <= radius
    if carriers:
        out["reached"] = np.logical_and.reduce([reached_by[op] for op in carriers])
        out["reached_any"] = np.logical_or.reduce([reached_by[op] for op in carriers])
    else:
        out["reached"] = reached_by["shared"]
        out["reached_any"] = reached_by["shared"]
    out["reached_by"] = [";".join(op for op in carriers if reached_by[op][i]) for i in range(len(out))]
    out["missing_operators"] = [";".join(op for op in carriers if not reached_by[op][i]) for i in range(len(out))]
    out["on_network"] = vs.on_network
    # how often the weekly plan visits the village (the [routing] rule; 0 without parcels)
    out["visits_per_week"] = visits_per_week(v["parcels_in_per_week"].to_numpy(float),
                                             v["parcels_out_per_week"].to_numpy(float),
                                             RoutingParams.from_scenario(scenario))
    out["lon"] = v["lon"].values
    out["lat"] = v["lat"].values
    gdf = gpd.GeoDataFrame(out, geometry=v.geometry.values, crs="EPSG:4326")
    dest = None
    if scenario.destinations is not None and len(scenario.destinations):
        dest = _destination_reach(scenario.destinations, net, fs, ops, ids, carriers, radius)
    return CoverageResult(scenario, gdf, township_table(gdf), carriers, radius, net, dest)


def _destination_reach(d: pd.DataFrame, net: RoadNetwork, fs: Snap, ops: np.ndarray, ids: np.ndarray,
                       carriers: list, radius: float) -> pd.DataFrame:
    """The destinations reached as villages are (:func:`compute_coverage`): :data:`DESTINATION_REACH_COLUMNS`."""
    ds = net.snap(d["lon"].to_numpy(float), d["lat"].to_numpy(float))

    def nearest_of(mask: np.ndarray):
        idx = np.flatnonzero(mask)
        dist, t, k = net.nearest(snap_subset(fs, idx), ds)
        return dist, t, np.where(k >= 0, idx[np.maximum(k, 0)] if len(idx) else -1, -1)

    dist, t, k = nearest_of(np.ones(len(ops), bool))
    by = {op: nearest_of((ops == op) | (ops == "shared"))[0] <= radius for op in list(CARRIERS) + ["shared"]}
    use = carriers or ["shared"]
    return pd.DataFrame({
        "destination_id": d["id"].to_numpy(), "destination_name": d["name"].to_numpy(), "kind": d["kind"].to_numpy(),
        "village_code": d["village_code"].to_numpy(),
        "village_name": d["village_name"].to_numpy() if "village_name" in d.columns else "",
        "township_code": d["township_code"].to_numpy(),
        "township_name": d["township_name"].to_numpy() if "township_name" in d.columns else "",
        "in_per_week": d["in_per_week"].to_numpy(float), "out_per_week": d["out_per_week"].to_numpy(float),
        "days": [",".join(map(str, x)) for x in d["days"]],
        "reached": np.logical_and.reduce([by[op] for op in use]),
        "reached_any": np.logical_or.reduce([by[op] for op in use]),
        "reached_by": [";".join(op for op in carriers if by[op][i]) for i in range(len(d))],
        "nearest_facility_id": np.where(k >= 0, ids[np.maximum(k, 0)] if len(ids) else "", ""),
        "nearest_operator": np.where(k >= 0, ops[np.maximum(k, 0)] if len(ops) else "", ""),
        "distance_m": dist, "travel_time_min": t / 60.0,
        "lon": d["lon"].to_numpy(float), "lat": d["lat"].to_numpy(float),
    })


def snap_subset(snap: Snap, idx) -> Snap:
    """The snapped points ``idx`` (indices or a boolean mask) of ``snap``."""
    return Snap(snap.node[idx], snap.access_m[idx], snap.on_network[idx], snap.x[idx], snap.y[idx],
                snap.nearest_any_main[idx])


def township_table(v: pd.DataFrame) -> pd.DataFrame:
    """Per-township figures: counts, population, reach rates, mean/worst distance (m)."""
    rows = []
    for (code, name), g in v.groupby(["township_code", "township_name"], sort=True):
        d = g["distance_m"].astype(float)
        fin = d[np.isfinite(d)]
        pop = int(g["population"].sum())
        rows.append({
            "township_code": code, "township_name": name,
            "villages": len(g), "villages_reached": int(g["reached"].sum()),
            "villages_reached_any": int(g["reached_any"].sum()),
            "villages_unreachable": int((~np.isfinite(d)).sum()),
            "population": pop, "population_reached": int(g.loc[g["reached"], "population"].sum()),
            "population_reached_any": int(g.loc[g["reached_any"], "population"].sum()),
            "reach_rate": round(float(g["reached"].mean()), 4),
            "population_reach_rate": round(int(g.loc[g["reached"], "population"].sum()) / pop, 4) if pop else 0.0,
            "mean_distance_m": round(float(fin.mean()), 0) if len(fin) else None,
            "worst_distance_m": round(float(fin.max()), 0) if len(fin) else None,
            **{f"villages_reached_by_{op}": int(g[f"reached_by_{op}"].sum()) for op in CARRIERS
               if f"reached_by_{op}" in g},
            "visits_per_week": int(g["visits_per_week"].sum()) if "visits_per_week" in g else None,
        })
    return pd.DataFrame(rows)


def _fmt(values, fmt: str) -> list[str]:
    """Format finite numbers, empty text for inf/NaN (unreachable)."""
    return [fmt.format(x) if np.isfinite(x) else "" for x in np.asarray(values, dtype=float)]


def node_distances(net: RoadNetwork, points, limit_m: float = np.inf) -> np.ndarray:
    """Network distance (m) from the nearest of ``points`` to every node of ``net``.

    Each point (a :class:`~culture_logistics.network.roads.Snap`) starts at its snapped node with its
    access leg already walked, so a node's value is access leg + shortest road path, as in
    :meth:`RoadNetwork.nearest`.  Points off the network are ignored; ``inf`` beyond ``limit_m``.
    """

    return net.node_distances(points, limit_m)


def service_area_lines(result: CoverageResult, simplify_m: float = 10.0,
                       operators: list[str] | None = None) -> gpd.GeoDataFrame:
    """The roads within reach of each operator: the network service area as lines.

    A point of a road is within reach of operator X when the network distance (facility access leg +
    road path) from the nearest facility of X or a ``shared`` facility is at most the coverage
    radius.  Road edges are cut where the radius runs out (edges drawn straight between their end
    nodes); the facilities' own access legs are included.  Pieces are merged into longer lines and
    simplified to ``simplify_m`` metres (in the county's UTM CRS).  A village's access leg is not
    part of it, so a village beside a line may still be out of reach when its access leg is long.

    Returns
    -------
    GeoDataFrame (EPSG:4326) with columns operator, facilities, road_km (road length within reach,
    km; ``nan`` without a road network), geometry (MultiLineString; empty without roads); one row per
    operator in ``operators`` (default: the county's carrying operators, or ``shared`` when there are
    none).
    """

    net = result.network or RoadNetwork.from_scenario(result.scenario)
    f = result.scenario.facilities
    radius = float(result.radius_m)
    ops = operators if operators is not None else (list(result.carriers) or ["shared"])
    fac_ops = f["operator"].to_numpy()
    snap = net.snap(f["lon"].to_numpy(), f["lat"].to_numpy())
    rows = []
    if net.has_roads:
        coo = net.length_csr.tocoo()
        u, v, length = coo.row, coo.col, coo.data
        key_all = np.sort(u.astype(np.int64) * net.n + v)
        has_reverse = np.isin(v.astype(np.int64) * net.n + u, key_all)
        keep = (u < v) | ~has_reverse  # each two-way road once
        u, v, length = u[keep], v[keep], length[keep]
        x0, y0, x1, y1 = net.x[u], net.y[u], net.x[v], net.y[v]
    for op in ops:
        idx = np.flatnonzero((fac_ops == op) | (fac_ops == "shared"))
        if not net.has_roads:
            rows.append({"operator": op, "facilities": int(len(idx)), "road_km": float("nan"),
                         "geometry": shapely.MultiLineString()})
            continue
        d = node_distances(net, snap_subset(snap, idx), limit_m=radius)
        du, dv = d[u], d[v]
        a = np.where(np.isfinite(du), np.minimum(np.clip(radius - du, 0.0, None), length), 0.0)  # reach from u (m)
        b = np.where(np.isfinite(dv), np.minimum(np.clip(radius - dv, 0.0, None), length), 0.0)  # reach from v (m)
        full = a + b >= length
        part = ~full
        pieces = []
        if full.any():
            pieces.append(shapely.linestrings(np.stack([np.column_stack([x0[full], y0[full]]),
                                                        np.column_stack([x1[full], y1[full]])], axis=1)))
        for sel, t, sx, sy in ((part & (a > 0), a / length, x0, y0), (part & (b > 0), 1.0 - b / length, x1, y1)):
            if sel.any():  # the piece from the u end (length a) / from the v end (length b)
                xm = x0[sel] + t[sel] * (x1[sel] - x0[sel])
                ym = y0[sel] + t[sel] * (y1[sel] - y0[sel])
                pieces.append(shapely.linestrings(np.stack([np.column_stack([sx[sel], sy[sel]]),
                                                            np.column_stack([xm, ym])], axis=1)))
        km = (float(length[full].sum()) + float(a[part].sum() + b[part].sum())) / 1000.0
        ok = idx[snap.on_network[idx] & (snap.access_m[idx] <= radius) & (snap.access_m[idx] > 0.5)]
        if len(ok):  # the facilities' own access legs
            pieces.append(shapely.linestrings(np.stack([
                np.column_stack([snap.x[ok], snap.y[ok]]),
                np.column_stack([net.x[snap.node[ok]], net.y[snap.node[ok]]])], axis=1)))
        if pieces:
            merged = shapely.line_merge(shapely.multilinestrings(np.concatenate(pieces)))
            geom = shapely.simplify(merged, simplify_m)
            if geom.geom_type == "LineString":
                geom = shapely.multilinestrings([geom])
        else:
            geom = shapely.MultiLineString()
        rows.append({"operator": op, "facilities": int(len(idx)), "road_km": round(km, 2), "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs).to_crs("EPSG:4326")


def service_areas(result: CoverageResult, buffer_m: float = 150.0, simplify_m: float = 25.0,
                  operators: list[str] | None = None) -> gpd.GeoDataFrame:
    """The network service area of each operator as a polygon: :func:`service_area_lines` buffered.

    The roads within ``radius_m`` of the operator's (or shared) facilities, buffered by ``buffer_m``
    metres and simplified to ``simplify_m`` metres in the county's UTM CRS.  Without a road network
    the area is the disc of radius ``radius_m / circuity`` around each facility.  (Unioning the
    buffers costs ~0.5 s per operator in a 9,000-edge county; the coverage map draws the lines as
    wide bands instead.)

    Returns
    -------
    GeoDataFrame (EPSG:4326): operator, facilities, road_km, area_km2 (of the polygon), geometry.
    """

    net = result.network or RoadNetwork.from_scenario(result.scenario)
    lines = service_area_lines(result, simplify_m=simplify_m / 2, operators=operators).to_crs(net.crs)
    f = result.scenario.facilities
    snap = net.snap(f["lon"].to_numpy(), f["lat"].to_numpy())
    geoms = []
    for row in lines.itertuples():
        if net.has_roads:
            parts = shapely.get_parts(row.geometry)
            geom = shapely.union_all(shapely.buffer(parts, buffer_m, quad_segs=2)) if len(parts) else shapely.Polygon()
        else:
            idx = np.flatnonzero(f["operator"].isin([row.operator, "shared"]).to_numpy())
            pts = shapely.points(snap.x[idx], snap.y[idx])
            geom = shapely.union_all(shapely.buffer(pts, float(result.radius_m) / net.params.circuity, quad_segs=8))
        geoms.append(shapely.simplify(geom, simplify_m, preserve_topology=True))
    out = gpd.GeoDataFrame({"operator": lines["operator"], "facilities": lines["facilities"],
                            "road_km": lines["road_km"], "area_km2": [round(g.area / 1e6, 2) for g in geoms]},
                           geometry=geoms, crs=net.crs)
    return out.to_crs("EPSG:4326")
