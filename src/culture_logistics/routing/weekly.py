"""Weekly visit plans: how often each village is visited, on which days, and the routes of every day.

A periodic VRP solved in two steps:

1. **Visits per week** — each village with parcels gets
   ``clamp(⌈(weekly in + out) / parcels_per_visit⌉, min_visits_per_week, delivery_days_per_week)``
   visits (:func:`culture_logistics.config.visits.visits_per_week`).
2. **Visit days** — a village with ``k`` visits gets one of the patterns that spread ``k`` visits
   evenly over the ``D = delivery_days_per_week`` delivery days (day ``o + ⌊i·D/k⌋ mod D`` for
   ``i = 0…k-1``, any offset ``o``: with ``D = 6`` two visits are Mon/Thu, Tue/Fri or Wed/Sat).
   A deterministic greedy picks the pattern: villages in order of visits (most first), then weekly
   parcels (most first), then code; each takes the pattern that least increases the sum over
   (township, day) of ``(parcels / van capacity)² + (service minutes / shift minutes)²`` — so the
   days of every township carry about the same load and need about the same vans — with the
   county-wide sum of the same as tie-break, then the earliest offset.
   A cultural destination (destinations.csv) with ``days`` is visited on every one of its days, and only on
   them (its one allowed pattern in :func:`assign_days`); without ``days`` it takes visits and a pattern
   as a village does.  Its days' loads count in the same greedy.
3. **Routes per day** — every day is routed by the daily planner (:func:`~culture_logistics.routing.
   plan.plan_mode`, both echelons) with the parcels of that day's visits: a visit carries the parcels that
   arrived since the village's previous visit (its share of the weekly parcels is the gap since the
   previous visit / D, split by largest remainder, so a week's visits carry exactly the week's parcels).

Units: parcels, days (1 = Monday … 7 = Sunday), CNY, km in the summaries.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from culture_logistics.config.routing import RoutingParams, parse_overrides
from culture_logistics.config.visits import DAY_NAMES, visits_per_week
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.routing.parallel import plan_many
from culture_logistics.routing.plan import (
    ROUTE_PLAN_COLUMNS,
    ROUTES_SUMMARY_COLUMNS,
    UNSERVED_COLUMNS,
    RoutePlan,
    check_plannable,
    plan_mode,
)
from culture_logistics.routing.specs import build_context

#: visits.csv (weekly plan): one row per village.
VISITS_COLUMNS = ["village_code", "village_name", "township_code", "township_name", "parcels_in_per_week",
                  "parcels_out_per_week", "visits_per_week", "visit_days", "visit_day_names", "delivered_per_visit",
                  "picked_up_per_visit"]

#: week_summary.csv (weekly plan): one row per delivery day.
WEEK_SUMMARY_COLUMNS = ["day", "day_name", "villages_visited", "vehicles", "vehicles_trunk", "vehicles_last_mile",
                        "distance_km", "driver_hours", "cost_cny", "parcels_delivered", "parcels_picked_up",
                        "unserved_stops", "villages_moved"]

#: the weekly plan's visits of the cultural destinations (WeeklyPlan.destination_visits): one row per destination.
DESTINATION_VISITS_COLUMNS = ["destination_id", "destination_name", "kind", "village_code", "township_code",
                              "parcels_in_per_week", "parcels_out_per_week", "days", "visits_per_week", "visit_days",
                              "visit_day_names", "delivered_per_visit", "picked_up_per_visit"]

VISITS_RULE = ("visits per week = clamp(ceil((parcels_in_per_week + parcels_out_per_week) / parcels_per_visit), "
               "min_visits_per_week, delivery_days_per_week); 0 for a village without parcels")


# ============================================================================ visit days
def visit_patterns(k: int, days: int) -> list[tuple[int, ...]]:
    """The evenly spread patterns of ``k`` visits over delivery days ``1…days`` (distinct, sorted by offset).

    >>> visit_patterns(2, 6)
    [(1, 4), (2, 5), (3, 6)]
    """
    if k <= 0:
        return [()]
    k = min(k, days)
    out: list[tuple[int, ...]] = []
    for o in range(days):
        pat = tuple(sorted({(o + (i * days) // k) % days + 1 for i in range(k)}))
        if pat not in out:
            out.append(pat)
    return out


def split_by_gaps(total: int, pattern: tuple[int, ...], days: int) -> list[int]:
    """Parcels carried at each visit of ``pattern``: the weekly ``total`` split in proportion to the days
    since the previous visit (cyclic), by largest remainder (ties to the earlier visit); sums to ``total``."""
    k = len(pattern)
    if k == 0:
        return []
    gaps = [((pattern[j] - pattern[j - 1]) % days) or days for j in range(k)]
    raw = [total * g / days for g in gaps]
    out = [int(math.floor(r + 1e-9)) for r in raw]
    rest = int(total) - sum(out)
    for j in sorted(range(k), key=lambda j: (-(raw[j] - out[j]), j))[:rest]:
        out[j] += 1
    return out


def assign_days(villages: pd.DataFrame, visits: np.ndarray, params: RoutingParams,
                allowed: list | None = None) -> list[tuple[int, ...]]:
    """The visit days of every village (deterministic greedy, see the module docstring).

    Parameters
    ----------
    villages : ``code, township_code, parcels_in_per_week, parcels_out_per_week`` (one row per village).
    visits : visits per week of each row.
    params : ``delivery_days_per_week``, the last-mile van's capacity and shift, and the service times.
    allowed : optional, per row the visit-day combinations it may take (tuples of days 1…D, e.g. a village's
        market days, or a periodic-VRP customer's allowed combinations); default: the evenly spread
        patterns of its visits (:func:`visit_patterns`).

    Returns
    -------
    list of tuples of days (1…D), one per row (``()`` for a village with no visits).
    """
    D = int(params.delivery_days_per_week)
    van = params.fleet_for("shared", "last_mile")[0]
    cap = float(max(1, van.capacity))
    shift_min = max(1.0, 60.0 * van.max_shift_h)
    win = villages["parcels_in_per_week"].to_numpy(float)
    wout = villages["parcels_out_per_week"].to_numpy(float)
    town = villages["township_code"].astype(str).to_numpy()
    code = villages["code"].astype(str).to_numpy()
    load: dict[str, np.ndarray] = {t: np.zeros((2, D)) for t in sorted(set(town))}
    county = np.zeros((2, D))
    order = sorted(range(len(villages)), key=lambda i: (-int(visits[i]), -(win[i] + wout[i]), code[i]))
    out: list[tuple[int, ...]] = [()] * len(villages)
    for i in order:
        k = int(visits[i])
        if k <= 0:
            continue
        best = None
        for pat in (visit_patterns(k, D) if allowed is None else allowed[i]):
            add = np.zeros((2, D))
            pin = split_by_gaps(int(round(win[i])), pat, D)
            pout = split_by_gaps(int(round(wout[i])), pat, D)
            for d, a, b in zip(pat, pin, pout):
                add[0, d - 1] = a / cap
                add[1, d - 1] = (params.service_min + params.service_min_per_parcel * (a + b)) / shift_min
            lt = load[town[i]]
            key = (round(float(((lt + add) ** 2).sum() - (lt ** 2).sum()), 9),
                   round(float(((county + add) ** 2).sum() - (county ** 2).sum()), 9))
            if best is None or key < best[0]:
                best = (key, pat, add)
        _, pat, add = best
        load[town[i]] += add
        county += add
        out[i] = pat
    return out


# ============================================================================ the weekly plan
@dataclass
class WeeklyPlan:
    """A week of route plans with each village visited on its own days.

    Attributes
    ----------
    mode : ``"shared"`` or ``"separate"``.
    visits : one row per village (:data:`VISITS_COLUMNS`).
    destination_visits : one row per cultural destination (:data:`DESTINATION_VISITS_COLUMNS`; empty without).
    days : the :class:`RoutePlan` of delivery day 1 (Monday) … D.
    seconds : wall-clock seconds of the whole plan.
    """

    scenario: Scenario
    mode: str
    params: RoutingParams
    visits: pd.DataFrame
    days: list
    seconds: float
    destination_visits: pd.DataFrame | None = None

    def _stack(self, frames, columns) -> pd.DataFrame:
        parts = [f.assign(day=d) for d, f in enumerate(frames, start=1) if len(f)]
        if not parts:
            return pd.DataFrame(columns=columns + ["day"])
        return pd.concat(parts, ignore_index=True)[columns + ["day"]]

    def plan_table(self) -> pd.DataFrame:
        """Weekly ``route_plan.csv``: :data:`ROUTE_PLAN_COLUMNS` and ``day`` (1…D) at the end."""
        return self._stack([p.plan_table() for p in self.days], ROUTE_PLAN_COLUMNS)

    def routes_table(self) -> pd.DataFrame:
        """Weekly ``routes_summary.csv``: :data:`ROUTES_SUMMARY_COLUMNS` and ``day`` at the end."""
        return self._stack([p.routes_table() for p in self.days], ROUTES_SUMMARY_COLUMNS)

    def unserved_table(self) -> pd.DataFrame:
        """Weekly ``unserved.csv``: :data:`UNSERVED_COLUMNS` and ``day`` at the end."""
        return self._stack([p.unserved_table() for p in self.days], UNSERVED_COLUMNS)

    def destination_visits_table(self) -> pd.DataFrame:
        """The destinations' visits: :data:`DESTINATION_VISITS_COLUMNS`, one row per destination (empty without)."""
        if self.destination_visits is None:
            return pd.DataFrame(columns=DESTINATION_VISITS_COLUMNS)
        return self.destination_visits[DESTINATION_VISITS_COLUMNS].reset_index(drop=True)

    def visits_table(self) -> pd.DataFrame:
        """``visits.csv``: :data:`VISITS_COLUMNS`, one row per village, sorted by code."""
        return self.visits[VISITS_COLUMNS].reset_index(drop=True)

    def week_table(self) -> pd.DataFrame:
        """``week_summary.csv``: :data:`WEEK_SUMMARY_COLUMNS`, one row per delivery day."""
        rows = []
        for d, p in enumerate(self.days, start=1):
            s = p.summary()
            rows.append({"day": d, "day_name": DAY_NAMES[d - 1], "villages_visited": s["villages_served"],
                         "vehicles": s["vehicles"], "vehicles_trunk": s["trunk"]["vehicles"],
                         "vehicles_last_mile": s["last_mile"]["vehicles"], "distance_km": s["distance_km"],
                         "driver_hours": s["driver_hours"], "cost_cny": s["cost_cny"],
                         "parcels_delivered": s["parcels_delivered"], "parcels_picked_up": s["parcels_picked_up"],
                         "unserved_stops": s["unserved_stops"], "villages_moved": len(p.moved)})
        return pd.DataFrame(rows, columns=WEEK_SUMMARY_COLUMNS)

    def summary(self) -> dict:
        """Figures of the week for ``summary.json``: visits per week, the week's totals, one entry per day
        (its ``week_summary.csv`` row, its number of models and, as a daily plan's summary has them, its
        ``villages_moved``: the villages served that day from another township's station)."""
        wk = self.week_table()
        v = self.visits
        n = v["visits_per_week"].to_numpy(int)
        warnings = []
        for d, p in enumerate(self.days, start=1):
            warnings += [f"day {d}: {w}" for w in p.warnings]
        return {
            "mode": self.mode,
            "plan": "weekly",
            "county": {"adcode": self.scenario.adcode, "name": self.scenario.name},
            "synthetic_data": bool(self.scenario.synthetic),
            "delivery_days_per_week": int(self.params.delivery_days_per_week),
            "visits_per_week": _visits_summary(n, self.params),
            "week": {
                "vehicle_days": int(wk["vehicles"].sum()),
                "vehicles_busiest_day": int(wk["vehicles"].max()) if len(wk) else 0,
                "vehicles_last_mile_busiest_day": int(wk["vehicles_last_mile"].max()) if len(wk) else 0,
                "vehicles_mean_day": round(float(wk["vehicles"].mean()), 2) if len(wk) else 0.0,
                "distance_km": round(float(wk["distance_km"].sum()), 1),
                "driver_hours": round(float(wk["driver_hours"].sum()), 1),
                "cost_cny": round(float(wk["cost_cny"].sum()), 2),
                "parcels_delivered": int(wk["parcels_delivered"].sum()),
                "parcels_picked_up": int(wk["parcels_picked_up"].sum()),
                "village_visits": int(wk["villages_visited"].sum()),
                "unserved_stops": int(wk["unserved_stops"].sum()),
            },
            "days": [dict(r) | {"models": len(p.models), "villages_moved": list(p.moved)}
                     for r, p in zip(wk.to_dict("records"), self.days)],
            "seconds": round(self.seconds, 2),
            "params": self.days[0].summary()["params"] if self.days else {},
            **({"destinations": {"destinations": len(self.destination_visits),
                                 "visits": int(self.destination_visits["visits_per_week"].sum())}}
               if self.destination_visits is not None else {}),
            "warnings": warnings,
        }


def _visits_summary(n: np.ndarray, params: RoutingParams) -> dict:
    visited = n > 0
    return {
        "rule": VISITS_RULE,
        "min_visits_per_week": int(params.min_visits_per_week),
        "parcels_per_visit": float(params.parcels_per_visit),
        "delivery_days_per_week": int(params.delivery_days_per_week),
        "villages": int(visited.sum()),
        "visits": int(n.sum()),
        "mean": round(float(n[visited].mean()), 2) if visited.any() else 0.0,
        "villages_by_visits": {str(k): int((n == k).sum()) for k in range(0, int(params.delivery_days_per_week) + 1)
                               if (n == k).any()},
    }


def visits_summary(scenario: Scenario, params: RoutingParams | None = None) -> dict:
    """``summary.json`` ``visits_per_week`` of a scenario: the rule, its parameters, villages visited, visits a
    week, mean, and villages per number of visits — what :func:`plan_week` would plan (no routing)."""
    params = params or RoutingParams.from_scenario(scenario)
    v = scenario.villages
    return _visits_summary(visits_per_week(v["parcels_in_per_week"].to_numpy(float),
                                           v["parcels_out_per_week"].to_numpy(float), params), params)


def _visits_frame(scenario: Scenario, params: RoutingParams) -> pd.DataFrame:
    """The villages' visits (:data:`VISITS_COLUMNS` and the per-visit lists ``_days, _in, _out, _cin, _cout``)."""
    return _week_frames(scenario, params)[0]


def _destination_patterns(scenario: Scenario, params: RoutingParams) -> tuple[pd.DataFrame, np.ndarray, list]:
    """The destinations as rows for :func:`assign_days` (code = id), their visits per week and allowed patterns:
    every one of their ``days`` (none without parcels), else the village rule."""
    d = scenario.destinations
    D = int(params.delivery_days_per_week)
    late = [(i, x) for i, x in zip(d["id"], d["days"]) if any(day > D for day in x)]
    if late:   # the scenario checks its own [routing]; params given here may have fewer delivery days
        raise CultureLogisticsError(f"destination {late[0][0]} receives on days {','.join(map(str, late[0][1]))}, "
                                    f"beyond the plan's {D} delivery days: raise delivery_days_per_week or change "
                                    "its days in destinations.csv")
    win, wout = d["in_per_week"].to_numpy(float), d["out_per_week"].to_numpy(float)
    rule = visits_per_week(win, wout, params)
    n = np.array([(len(days) if win[i] + wout[i] > 0 else 0) if len(days) else int(rule[i])
                  for i, days in enumerate(d["days"])], dtype=int)
    allowed = [[tuple(days)] if len(days) else visit_patterns(int(k), D) for days, k in zip(d["days"], n)]
    frame = pd.DataFrame({"code": d["id"].astype(str).to_numpy(), "township_code": d["township_code"].astype(str)
                          .to_numpy(), "parcels_in_per_week": win, "parcels_out_per_week": wout})
    return frame, n, allowed


def _week_frames(scenario: Scenario, params: RoutingParams) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the villages' visits, the destinations' visits or None): visit days assigned together."""
    v = scenario.villages
    # the vans carry every parcel (cultural and other); the cultural ones are tracked per visit (_cin, _cout)
    cin = v["parcels_in_per_week"].to_numpy(float)
    cout = v["parcels_out_per_week"].to_numpy(float)
    win = cin + (v["other_in_per_week"].to_numpy(float) if "other_in_per_week" in v.columns else 0.0)
    wout = cout + (v["other_out_per_week"].to_numpy(float) if "other_out_per_week" in v.columns else 0.0)
    n = visits_per_week(win, wout, params)
    frame = pd.DataFrame({"code": v["code"].astype(str).to_numpy(),
                          "township_code": v["township_code"].astype(str).to_numpy(),
                          "parcels_in_per_week": win, "parcels_out_per_week": wout})
    D = int(params.delivery_days_per_week)
    dest = None
    if scenario.destinations is not None and len(scenario.destinations):
        dframe, dn, dallowed = _destination_patterns(scenario, params)
        both = assign_days(pd.concat([frame, dframe], ignore_index=True), np.concatenate([n, dn]), params,
                           allowed=[visit_patterns(int(k), D) for k in n] + dallowed)
        pats, dpats = both[:len(frame)], both[len(frame):]
        dest = _destination_visits(scenario.destinations, dframe, dn, dpats, D)
    else:
        pats = assign_days(frame, n, params)
    pin = [split_by_gaps(int(round(a)), p, D) for a, p in zip(win, pats)]
    pout = [split_by_gaps(int(round(b)), p, D) for b, p in zip(wout, pats)]
    return pd.DataFrame({
        "village_code": frame["code"], "village_name": v["name"].astype(str).to_numpy(),
        "township_code": frame["township_code"], "township_name": v["township_name"].astype(str).to_numpy(),
        "parcels_in_per_week": np.round(win).astype(int), "parcels_out_per_week": np.round(wout).astype(int),
        "visits_per_week": n, "visit_days": [" ".join(map(str, p)) for p in pats],
        "visit_day_names": [" ".join(DAY_NAMES[d - 1] for d in p) for p in pats],
        "delivered_per_visit": [" ".join(map(str, x)) for x in pin],
        "picked_up_per_visit": [" ".join(map(str, x)) for x in pout],
        "_days": pats, "_in": pin, "_out": pout,
        "_cin": [split_by_gaps(int(round(a)), p, D) for a, p in zip(cin, pats)],
        "_cout": [split_by_gaps(int(round(b)), p, D) for b, p in zip(cout, pats)],
    }).sort_values("village_code", kind="stable").reset_index(drop=True), dest


def _destination_visits(d: pd.DataFrame, frame: pd.DataFrame, n: np.ndarray, pats: list, D: int) -> pd.DataFrame:
    """:data:`DESTINATION_VISITS_COLUMNS` (and the per-visit lists) of the destinations ``d``."""
    win, wout = frame["parcels_in_per_week"].to_numpy(float), frame["parcels_out_per_week"].to_numpy(float)
    pin = [split_by_gaps(int(round(a)), p, D) for a, p in zip(win, pats)]
    pout = [split_by_gaps(int(round(b)), p, D) for b, p in zip(wout, pats)]
    return pd.DataFrame({
        "destination_id": frame["code"], "destination_name": d["name"].astype(str).to_numpy(),
        "kind": d["kind"].astype(str).to_numpy(), "village_code": d["village_code"].astype(str).to_numpy(),
        "township_code": frame["township_code"], "parcels_in_per_week": np.round(win).astype(int),
        "parcels_out_per_week": np.round(wout).astype(int),
        "days": [" ".join(map(str, x)) for x in d["days"]], "visits_per_week": n,
        "visit_days": [" ".join(map(str, p)) for p in pats],
        "visit_day_names": [" ".join(DAY_NAMES[x - 1] for x in p) for p in pats],
        "delivered_per_visit": [" ".join(map(str, x)) for x in pin],
        "picked_up_per_visit": [" ".join(map(str, x)) for x in pout],
        "_days": list(pats), "_in": pin, "_out": pout, "_cin": pin, "_cout": pout,
    }).sort_values("destination_id", kind="stable").reset_index(drop=True)


def plan_week(scenario: Scenario, mode: str = "shared", params: RoutingParams | None = None, network=None,
              time_limit_s: float | None = None, seed: int | None = None,
              progress: Callable | None = None) -> WeeklyPlan:
    """The weekly visit plan of ``scenario`` in ``mode``: visit days per village, then one route plan per day.

    Parameters
    ----------
    scenario : a loaded scenario.
    mode : ``"shared"`` or ``"separate"``.
    params : routing parameters (default: the scenario's ``[routing]``/``[[fleet]]``); the weekly rule
        uses ``min_visits_per_week``, ``parcels_per_visit`` and ``delivery_days_per_week``.
    network : a :class:`~culture_logistics.network.roads.RoadNetwork` to reuse (built when None).
    time_limit_s, seed : override ``params`` for every day's models.
    progress : optional callable receiving one line of text per model (prefixed with the day).

    Returns
    -------
    WeeklyPlan

    Raises
    ------
    CultureLogisticsError
        an unknown mode, or nothing to plan from.
    """
    if mode not in ("shared", "separate"):
        raise CultureLogisticsError(f"a weekly plan is planned for one mode, shared or separate; got {mode!r}")
    t0 = time.perf_counter()
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    check_plannable(scenario, mode)
    visits, dest_visits = _week_frames(scenario, params)
    ctx = build_context(scenario, params, network)
    by_code = visits.set_index("village_code")
    if dest_visits is not None:
        by_code = pd.concat([by_code, dest_visits.set_index("destination_id")[["_days", "_in", "_out", "_cin",
                                                                                 "_cout"]]])
    D = int(params.delivery_days_per_week)
    days = {}
    for d in range(1, D + 1):
        vin, vout, cin, cout = [], [], [], []
        for c in ctx.villages["code"]:
            r = by_code.loc[c]
            j = r["_days"].index(d) if d in r["_days"] else None
            vin.append(0 if j is None else r["_in"][j])
            vout.append(0 if j is None else r["_out"][j])
            cin.append(0 if j is None else r["_cin"][j])
            cout.append(0 if j is None else r["_cout"][j])
        vill = ctx.villages.assign(daily_in=np.array(vin, dtype=np.int64), daily_out=np.array(vout, dtype=np.int64),
                                   daily_in_cultural=np.array(cin, dtype=np.int64),
                                   daily_out_cultural=np.array(cout, dtype=np.int64))
        days[d] = _day_job(replace(ctx, villages=vill), mode, d)
    # the days are independent plans: in parallel processes (routing.parallel), the same plans as in turn
    plans = list(plan_many(ctx, days, params.workers, progress).values())
    return WeeklyPlan(scenario, mode, params, visits, plans, time.perf_counter() - t0, dest_visits)


def _day_job(day_ctx, mode: str, d: int):
    """The job planning day ``d`` on ``day_ctx`` (the context with that day's parcels)."""
    def run(_ctx, progress):
        return plan_mode(day_ctx, mode, None if progress is None else (lambda line: progress(f"day {d}: {line}")))
    return run


def weekly_vs_daily(weekly: WeeklyPlan, daily: RoutePlan) -> pd.DataFrame:
    """The weekly plan against the daily plan (every village every day) run on every delivery day.

    Columns ``metric, unit, daily, weekly, difference, saving_pct``; the daily plan's week = its day × D.
    The daily plan carries ⌈weekly / D⌉ parcels a day per village (rounded up), so slightly more
    parcels than the week holds; the weekly plan carries exactly the week's parcels.
    """
    D = int(weekly.params.delivery_days_per_week)
    s = daily.summary()
    w = weekly.summary()["week"]
    vs = daily.stops["stop_kind"].isin(["village_point", "village_centre"])
    rows = [
        ("vehicles_busiest_day", "vehicles", s["vehicles"], w["vehicles_busiest_day"]),
        ("vehicles_last_mile_busiest_day", "vehicles", s["last_mile"]["vehicles"], w["vehicles_last_mile_busiest_day"]),
        ("vehicle_days", "vehicle-days/week", s["vehicles"] * D, w["vehicle_days"]),
        ("distance", "km/week", round(s["distance_km"] * D, 1), w["distance_km"]),
        ("driver_hours", "h/week", round(s["driver_hours"] * D, 1), w["driver_hours"]),
        ("cost", "CNY/week", round(s["cost_cny"] * D, 2), w["cost_cny"]),
        ("village_visits", "visits/week", int(daily.stops.loc[vs, "stop_id"].nunique()) * D, w["village_visits"]),
        ("parcels_delivered", "parcels/week", s["parcels_delivered"] * D, w["parcels_delivered"]),
        ("unserved_stops", "stop-days/week", s["unserved_stops"] * D, w["unserved_stops"]),
    ]
    out = [{"metric": m, "unit": u, "daily": a, "weekly": b, "difference": round(b - a, 2),
            "saving_pct": round(100.0 * (a - b) / a, 2) if a else None} for m, u, a, b in rows]
    return pd.DataFrame(out)
