"""Plan figures for ``summary.json``: how the echelons fit together and what each station handles.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def sync_figures(stops: pd.DataFrame, routes: pd.DataFrame, day_start_s: int) -> dict:
    """How well the last mile fits the trunk (hours and percent; empty plan: zeros).

    ``last_mile_wait_h``
        van-hours of last-mile waiting a day: for every van used, the time from ``day_start`` to its
        departure (waiting for the trunk to stock its station, or leaving later so as not to wait
        at a time window) plus its waiting at stops before a window opens.
    ``last_mile_wait_for_trunk_h``
        the part spent because the station opened after ``day_start`` (the trunk unloaded later).
    ``shift_use_pct``
        the last-mile vans' hours on the road (departure to return) over their shift limits, in %.
    """
    lm = routes[routes["echelon"] == "last_mile"]
    if not len(lm):
        return {"last_mile_wait_h": 0.0, "last_mile_wait_for_trunk_h": 0.0, "shift_use_pct": 0.0}
    day0 = day_start_s / 60.0
    late_start = float(np.maximum(0.0, lm["departure_min"].to_numpy(float) - day0).sum())
    for_trunk = float(np.maximum(0.0, lm["open_min"].to_numpy(float) - day0).sum())
    st = stops[(stops["echelon"] == "last_mile") & (stops["stop_kind"] != "depot")]
    at_stops = float((st["service_start_min"].astype(float) - st["arrival_min"].astype(float)).clip(lower=0).sum())
    shift = lm["max_shift_min"].astype(float)
    use = lm["duration_min"].astype(float)[shift.notna()].sum() / shift[shift.notna()].sum() * 100 \
        if shift.notna().any() else 0.0
    return {"last_mile_wait_h": round((late_start + at_stops) / 60.0, 2),
            "last_mile_wait_for_trunk_h": round(for_trunk / 60.0, 2),
            "shift_use_pct": round(float(use), 1)}


def station_load(routes: pd.DataFrame, facilities: pd.DataFrame) -> dict:
    """{station id: {inbound, outbound, capacity_per_day}} over the last-mile routes (parcels a day;
    capacity None when the facility states none)."""
    lm = routes[routes["echelon"] == "last_mile"]
    cap = dict(zip(facilities["id"].astype(str), facilities["capacity_per_day"]))
    out = {}
    for did, g in lm.groupby("depot_id", sort=True):
        c = cap.get(str(did))
        out[str(did)] = {"inbound": int(g["delivered"].sum()), "outbound": int(g["picked_up"].sum()),
                         "capacity_per_day": None if c is None or not np.isfinite(float(c)) else float(c)}
    return out


def destination_figures(plan) -> dict:
    """``summary.json`` ``destinations`` of a plan (a :class:`~culture_logistics.routing.plan.RoutePlan`) whose scenario has cultural destinations (else {}): how many,
    served (a last-mile stop of the plan), unserved, and the parcels delivered and picked up there."""
    d = getattr(plan.scenario, "destinations", None)   # a plan put together by hand may carry no such table
    if d is None:
        return {}
    ids = set(d["id"].astype(str))
    st = plan.stops[(plan.stops["echelon"] == "last_mile") & plan.stops["stop_id"].astype(str).isin(ids)]
    un = plan.unserved[plan.unserved["stop_id"].astype(str).isin(ids)]
    return {"destinations": {"destinations": len(ids), "served": int(st["stop_id"].nunique()),
                             "unserved": int(un["stop_id"].nunique()), "parcels_delivered": int(st["delivered"].sum()),
                             "parcels_picked_up": int(st["picked_up"].sum())}}


def cultural_figures_of(stops: pd.DataFrame, cost_cny: float, without_cultural_cost_cny: float | None,
                        parcels: int = 0) -> dict:
    """``cultural_parcels_per_day`` (delivered + picked up at villages), ``cultural_marginal_cost_cny_per_day``
    (the plan's cost less the same plan's cost without the cultural parcels; None when that plan was not
    solved: without other parcels it is empty) and ``cultural_cost_per_parcel_cny`` (marginal cost ÷ cultural
    parcels; None without either).  ``parcels``: the plan's parcels, all cultural when ``stops`` has no
    ``delivered_cultural`` column."""
    if "delivered_cultural" in stops.columns:
        lm = stops[(stops["echelon"] == "last_mile") & stops["stop_kind"].isin(["village_point", "village_centre"])]
        n = int(lm["delivered_cultural"].sum() + lm["picked_up_cultural"].sum()) if len(lm) else 0
    else:   # a plan put together without tracking them carries cultural parcels only
        n = int(parcels)
    marginal = None if without_cultural_cost_cny is None else round(cost_cny - without_cultural_cost_cny, 2)
    return {"cultural_parcels_per_day": n, "cultural_marginal_cost_cny_per_day": marginal,
            "cultural_cost_per_parcel_cny": round(marginal / n, 3) if marginal is not None and n > 0 else None}


def cost_per_parcel(totals: dict) -> float | None:
    """CNY per parcel delivered or picked up (3 decimals); None when the plan carries no parcel."""
    n = totals["parcels_delivered"] + totals["parcels_picked_up"]
    return round(totals["cost_cny"] / n, 3) if n > 0 else None
