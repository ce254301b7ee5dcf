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

import geopandas as gpd
import numpy as np
import pandas as pd

from .network import RoadNetwork
from .scenario import CARRIERS, Scenario

VILLAGE_REACH_COLUMNS = [
    "village_code", "village_name", "township_code", "township_name", "population", "reached", "reached_any",
    "reached_by", "nearest_facility_id", "nearest_operator", "distance_m", "travel_time_min",
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
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    townships: pd.DataFrame
    carriers: list[str]
    radius_m: float
    network: RoadNetwork = field(repr=False, default=None)

    def summary(self) -> dict:
        v = self.villages
        pop = int(v["population"].sum())
        out = {
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
    scenario : a loaded :class:`~culture_logistics.scenario.Scenario`.
    network : a prepared :class:`RoadNetwork` (built from the scenario when omitted).
    radius_m : coverage radius in metres along the network (default ``[coverage] radius_m``).
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
        sub = _subset(fs, idx)
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
    out["lon"] = v["lon"].values
    out["lat"] = v["lat"].values
    gdf = gpd.GeoDataFrame(out, geometry=v.geometry.values, crs="EPSG:4326")
    return CoverageResult(scenario, gdf, township_table(gdf), carriers, radius, net)


def _subset(snap, idx):
    from .network import Snap

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
            "reach_rate": round(float(g["reached"].mean()), 4),
            "population_reach_rate": round(int(g.loc[g["reached"], "population"].sum()) / pop, 4) if pop else 0.0,
            "mean_distance_m": round(float(fin.mean()), 0) if len(fin) else None,
            "worst_distance_m": round(float(fin.max()), 0) if len(fin) else None,
        })
    return pd.DataFrame(rows)
