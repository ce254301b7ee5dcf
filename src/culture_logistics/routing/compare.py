"""Shared against separate: the comparison of two plans.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from culture_logistics.config.routing import RoutingParams, parse_overrides
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.routing.plan import RoutePlan, _check_plannable, _plan
from culture_logistics.routing.specs import _context

#: comparison.csv (compare mode): one row per metric.
COMPARISON_COLUMNS = ["metric", "unit", "separate", "shared", "difference", "saving_pct"]


@dataclass
class ModeComparison:
    """Shared co-delivery against every operator driving its own vehicles.

    Attributes
    ----------
    shared, separate : the two :class:`RoutePlan` objects.
    table : ``comparison.csv`` (:data:`COMPARISON_COLUMNS`), one row per metric.
    """

    shared: RoutePlan
    separate: RoutePlan
    table: pd.DataFrame
    cost_sharing: object = None    # routing.sharing.CostSharing, when the coalitions were planned

    @property
    def saving_pct(self) -> float | None:
        """Cost saving of shared over separate, % of the separate cost."""
        row = self.table[self.table["metric"] == "cost"]
        v = row["saving_pct"].iat[0] if len(row) else None
        return None if v is None or v != v else float(v)

    def summary(self) -> dict:
        a, b = self.separate.summary(), self.shared.summary()
        like = a["unserved_stops"] == 0 and b["unserved_stops"] == 0
        return {
            "mode": "compare",
            "county": a["county"],
            "synthetic_data": a["synthetic_data"],
            "saving_pct": self.saving_pct,
            "like_for_like": like,
            "note": ("both plans serve every stop" if like else
                     f"not like for like: separate leaves {a['unserved_stops']} stop(s) unserved, shared "
                     f"{b['unserved_stops']}; see each mode's unserved.csv"),
            "comparison": _records_json(self.table),
            "separate": a,
            "shared": b,
        } | ({"cost_sharing": self.cost_sharing.summary()} if self.cost_sharing is not None else {})


def _records_json(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()})
    return out


def comparison_table(separate: RoutePlan, shared: RoutePlan) -> pd.DataFrame:
    """One row per metric: separate, shared, shared − separate, and the saving in % of separate."""
    a, b = separate.summary(), shared.summary()
    rows = [
        ("vehicles", "vehicles/day", a["vehicles"], b["vehicles"]),
        ("vehicles_trunk", "vehicles/day", a["trunk"]["vehicles"], b["trunk"]["vehicles"]),
        ("vehicles_last_mile", "vehicles/day", a["last_mile"]["vehicles"], b["last_mile"]["vehicles"]),
        ("distance", "km/day", a["distance_km"], b["distance_km"]),
        ("distance_trunk", "km/day", a["trunk"]["distance_km"], b["trunk"]["distance_km"]),
        ("distance_last_mile", "km/day", a["last_mile"]["distance_km"], b["last_mile"]["distance_km"]),
        ("driver_hours", "h/day", a["driver_hours"], b["driver_hours"]),
        ("cost", "CNY/day", a["cost_cny"], b["cost_cny"]),
        ("cost_vehicles", "CNY/day", a["cost_vehicles_cny"], b["cost_vehicles_cny"]),
        ("cost_distance", "CNY/day", a["cost_distance_cny"], b["cost_distance_cny"]),
        ("cost_per_parcel", "CNY/parcel", a["cost_per_parcel_cny"], b["cost_per_parcel_cny"]),
        ("unserved_stops", "stops", a["unserved_stops"], b["unserved_stops"]),
        ("parcels_delivered", "parcels/day", a["parcels_delivered"], b["parcels_delivered"]),
        ("parcels_picked_up", "parcels/day", a["parcels_picked_up"], b["parcels_picked_up"]),
        ("village_stops", "stops/day", int((separate.stops["stop_kind"].str.startswith("village")).sum()),
         int((shared.stops["stop_kind"].str.startswith("village")).sum())),
    ]
    out = []
    for metric, unit, sep, sh in rows:
        diff = round(sh - sep, 3)
        pct = round(100.0 * (sep - sh) / sep, 2) if sep else None
        out.append({"metric": metric, "unit": unit, "separate": sep, "shared": sh, "difference": diff,
                    "saving_pct": pct})
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS, dtype=object)


def compare_modes(scenario: Scenario, params: RoutingParams | None = None, network=None,
                  time_limit_s: float | None = None, seed: int | None = None,
                  progress: Callable | None = None) -> ModeComparison:
    """Plan both modes on the same day's parcels and compare them (see :class:`ModeComparison`).

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.inputs.scenario.Scenario`.
    params : routing parameters (default: the scenario's checked ``[routing]`` and ``[[fleet]]``).
    network : a :class:`~culture_logistics.network.roads.RoadNetwork` to reuse (built when None).
    time_limit_s, seed : override ``params`` (seconds per model of 40+ stops; solver seed).
    progress : optional callable receiving one line of text per model.

    Returns
    -------
    ModeComparison
        ``separate`` and ``shared`` :class:`~culture_logistics.routing.plan.RoutePlan` on exactly the same
        parcels, ``table`` (a DataFrame: vehicles, km, CNY/day, driver hours, cost per parcel, unserved; saving in %)
        and ``summary()``.  Distances in metres inside, km in the tables; money in CNY per day.
    """
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    _check_plannable(scenario, "compare")
    ctx = _context(scenario, params, network)
    sep = _plan(ctx, "separate", progress)
    sh = _plan(ctx, "shared", progress)
    return ModeComparison(sh, sep, comparison_table(sep, sh))
