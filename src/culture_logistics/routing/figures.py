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
