"""Shared against separate, and against 邮快合作: the comparison of plans, and the saving split into its parts.

Baselines
---------
``separate``        every carrying operator (postal, supply_coop, courier) runs its own trunk and
                    last mile to every village it has parcels for (up to three vans per village) —
                    the worst case.
``postal_courier``  邮快合作 (:mod:`culture_logistics.routing.cooperation`): couriers hand their parcels
                    to the postal township stations; only postal and supply-co-op vans go on to the
                    villages — the realistic baseline.

The saving split (:func:`saving_split`) divides separate − shared (CNY/day) into vehicle fixed
cost, distance and duplicated village visits; the three parts add up to the whole saving.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from culture_logistics.config.routing import RoutingParams, parse_overrides
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.routing.cooperation import plan_postal_courier, postal_part
from culture_logistics.routing.parallel import plan_many
from culture_logistics.routing.plan import (
    RoutePlan,
    assemble_plan,
    check_plannable,
    mode_demand,
    mode_operators,
    plan_mode,
    plan_operator,
)
from culture_logistics.routing.sharing import coalition_jobs, share_from_plans
from culture_logistics.routing.specs import (
    build_context,
    note_without_cultural,
    without_cultural_context,
    without_cultural_progress,
)

#: comparison.csv (compare mode): one row per metric.  The first six columns are the contract
#: (shared against separate); the 邮快合作 baseline follows at the end.
COMPARISON_COLUMNS = ["metric", "unit", "separate", "shared", "difference", "saving_pct", "postal_courier",
                      "saving_vs_postal_courier_pct"]

_VILLAGE_KINDS = ("village_point", "village_centre")

#: The assumptions behind the figures (summary.json ``comparison_notes`` and README).
COMPARISON_NOTES = [
    "All plans carry the same parcels: a village's daily parcels = ceil(weekly / delivery_days_per_week), "
    "split between operators by [routing.shares] (largest remainder) in separate and postal_courier.",
    "separate is the worst case: postal, supply_coop and courier each run their own trunk from their own county "
    "depot and their own last-mile vans to every village they have parcels for (up to three visits a village).",
    "postal_courier (邮快合作) is the realistic baseline: couriers drive their trunk to the postal township stations "
    "and hand their parcels to China Post there; postal vans carry postal and courier parcels to the villages, "
    "supply-co-op vans their own; a postal station's vans leave once both trunks have unloaded.",
    "Each operator's trunk is timed by its own last mile: a station's deadline is the latest unloading time that "
    "still lets that operator's routes from it be back by day_end (no deadline shared between operators); in "
    "separate and postal_courier the trunk also runs without deadlines when the later start of the vans costs "
    "less than the trucks the deadlines take.",
    "Cost = vehicles used × fixed_cost + km × cost_per_km per vehicle type ([[fleet]]); driver waiting is in "
    "fixed_cost, not charged by the hour.",
    "saving_split: fixed_cost and distance are the differences of the two cost parts; duplicated_visits is the cost "
    "of the village visits beyond the first in separate (each last-mile route's cost shared equally among its "
    "village stops; a village visited by n operators counts (n-1)/n of its n visits' cost), moved out of the "
    "fixed-cost and distance parts in proportion to the routes' own split, so the three parts add up to the "
    "saving.",
]


@dataclass
class ModeComparison:
    """Shared co-delivery against every operator driving its own vehicles.

    Attributes
    ----------
    shared, separate : the two :class:`RoutePlan` objects.
    table : ``comparison.csv`` (:data:`COMPARISON_COLUMNS`), one row per metric.
    postal_courier : the 邮快合作 plan (None when not planned).
    """

    shared: RoutePlan
    separate: RoutePlan
    table: pd.DataFrame
    cost_sharing: Any = None    # routing.sharing.CostSharing, when the coalitions were planned
    postal_courier: RoutePlan | None = None

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
            "saving_split": saving_split(self.separate, self.shared),
            "comparison_notes": list(COMPARISON_NOTES),
            "comparison": _records_json(self.table),
            "separate": a,
            "shared": b,
        } | ({"cost_sharing": self.cost_sharing.summary()} if self.cost_sharing is not None else {}) | (
            {} if self.postal_courier is None else {
            "saving_vs_postal_courier_pct": self.saving_vs_postal_courier_pct,
            "saving_split_vs_postal_courier": saving_split(self.postal_courier, self.shared),
            "postal_courier": self.postal_courier.summary(),
        })

    @property
    def saving_vs_postal_courier_pct(self) -> float | None:
        """Cost saving of shared over 邮快合作, % of the 邮快合作 cost (None without that plan)."""
        if "saving_vs_postal_courier_pct" not in self.table:
            return None
        row = self.table[self.table["metric"] == "cost"]
        v = row["saving_vs_postal_courier_pct"].iat[0] if len(row) else None
        return None if v is None or v != v else float(v)


def _records_json(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()})
    return out


def _rows(plan: RoutePlan) -> list[tuple[str, str, float]]:
    a = plan.summary()
    return [
        ("vehicles", "vehicles/day", a["vehicles"]),
        ("vehicles_trunk", "vehicles/day", a["trunk"]["vehicles"]),
        ("vehicles_last_mile", "vehicles/day", a["last_mile"]["vehicles"]),
        ("trips_last_mile", "trips/day", a["last_mile"]["trips"]),
        ("distance", "km/day", a["distance_km"]),
        ("distance_trunk", "km/day", a["trunk"]["distance_km"]),
        ("distance_last_mile", "km/day", a["last_mile"]["distance_km"]),
        ("driver_hours", "h/day", a["driver_hours"]),
        ("cost", "CNY/day", a["cost_cny"]),
        ("cost_vehicles", "CNY/day", a["cost_vehicles_cny"]),
        ("cost_distance", "CNY/day", a["cost_distance_cny"]),
        ("cost_per_parcel", "CNY/parcel", a["cost_per_parcel_cny"]),
        ("unserved_stops", "stops", a["unserved_stops"]),
        ("parcels_delivered", "parcels/day", a["parcels_delivered"]),
        ("parcels_picked_up", "parcels/day", a["parcels_picked_up"]),
        ("village_stops", "stops/day", int(plan.stops["stop_kind"].isin(_VILLAGE_KINDS).sum())),
    ]


def _pct(base, x):
    return round(100.0 * (base - x) / base, 2) if base and x is not None else None


def _diff(a, b):
    """b − a (3 decimals); None when either is missing (a cost per parcel of a plan without parcels)."""
    return None if a is None or b is None else round(b - a, 3)


def comparison_table(separate: RoutePlan, shared: RoutePlan, postal_courier: RoutePlan | None = None) -> pd.DataFrame:
    """One row per metric: separate, shared, shared − separate, the saving in % of separate, and (when
    ``postal_courier`` is given) the 邮快合作 figure and the saving of shared in % of it.  A figure a plan
    does not have (the cost per parcel of a plan without parcels) is None, and so are its difference and
    saving."""
    pc = {m: v for m, _, v in _rows(postal_courier)} if postal_courier is not None else {}
    out = []
    for (metric, unit, sep), (_, _, sh) in zip(_rows(separate), _rows(shared)):
        row = {"metric": metric, "unit": unit, "separate": sep, "shared": sh, "difference": _diff(sep, sh),
               "saving_pct": _pct(sep, sh)}
        if postal_courier is not None:
            row |= {"postal_courier": pc[metric], "saving_vs_postal_courier_pct": _pct(pc[metric], sh)}
        out.append(row)
    cols = COMPARISON_COLUMNS if postal_courier is not None else COMPARISON_COLUMNS[:6]
    return pd.DataFrame(out, columns=cols, dtype=object)


def duplicated_visits(plan: RoutePlan) -> dict:
    """The village visits of ``plan`` beyond the first one of each village, and what they cost.

    Each last-mile route's fixed and distance cost is shared equally among its village stops; a village
    visited ``n`` times (by ``n`` operators' vans) counts ``(n-1)/n`` of its visits' cost.

    Returns
    -------
    dict: ``visits`` (village stops), ``villages`` (distinct), ``duplicated`` (visits − villages),
    ``fixed_cny``, ``distance_cny`` and ``cost_cny`` of the duplicated visits (CNY/day).
    """
    st = plan.stops[plan.stops["stop_kind"].isin(_VILLAGE_KINDS)]
    r = plan.routes.set_index("route_id")
    per = st.groupby("route_id")["stop_id"].count()
    fixed = r["fixed_cost"].reindex(per.index).to_numpy(float) / per.to_numpy(float)
    dist = (r["cost"] - r["fixed_cost"]).reindex(per.index).to_numpy(float) / per.to_numpy(float)
    share = pd.DataFrame({"route_id": per.index, "f": fixed, "d": dist})
    v = st[["route_id", "stop_id"]].merge(share, on="route_id")
    g = v.groupby("stop_id").agg(n=("route_id", "count"), f=("f", "sum"), d=("d", "sum"))
    w = (g["n"] - 1) / g["n"]
    f, d = float((w * g["f"]).sum()), float((w * g["d"]).sum())
    return {"visits": int(g["n"].sum()), "villages": int(len(g)), "duplicated": int((g["n"] - 1).sum()),
            "fixed_cny": round(f, 2), "distance_cny": round(d, 2), "cost_cny": round(f + d, 2)}


def saving_split(baseline: RoutePlan, shared: RoutePlan) -> dict:
    """The daily saving of ``shared`` over ``baseline`` split into vehicle fixed cost, distance and
    duplicated village visits (CNY/day and %); the three parts add up to the whole saving.

    ``duplicated_visits`` = the cost of the baseline's extra visits (:func:`duplicated_visits`) less that of
    the shared plan's (none when it visits every village once); its fixed and distance parts are taken out
    of ``fixed_cost`` and ``distance``, which are the differences of the two plans' cost parts.

    Returns
    -------
    dict with ``fixed_cost``, ``distance``, ``duplicated_visits`` and ``total``, each
    ``{"cny_per_day", "pct_of_baseline", "pct_of_saving"}`` (``duplicated_visits`` also ``visits_removed``),
    ``gross`` (the plain differences of the fixed-cost and distance parts), ``baseline`` (its mode) and
    ``method``.
    """
    a, b = baseline.summary(), shared.summary()
    da, db = duplicated_visits(baseline), duplicated_visits(shared)
    dup_f, dup_d = da["fixed_cny"] - db["fixed_cny"], da["distance_cny"] - db["distance_cny"]
    parts = {
        "fixed_cost": a["cost_vehicles_cny"] - b["cost_vehicles_cny"] - dup_f,
        "distance": a["cost_distance_cny"] - b["cost_distance_cny"] - dup_d,
        "duplicated_visits": dup_f + dup_d,
    }
    total = a["cost_cny"] - b["cost_cny"]
    base = a["cost_cny"]

    def fig(x):
        return {"cny_per_day": round(x, 2), "pct_of_baseline": round(100 * x / base, 2) if base else None,
                "pct_of_saving": round(100 * x / total, 2) if total else None}

    out = {k: fig(v) for k, v in parts.items()}
    out["duplicated_visits"]["visits_removed"] = da["duplicated"] - db["duplicated"]
    out["total"] = fig(total)
    # the plain differences of the two cost parts, before the duplicated visits are taken out of them
    out["gross"] = {"fixed_cost": fig(a["cost_vehicles_cny"] - b["cost_vehicles_cny"]),
                    "distance": fig(a["cost_distance_cny"] - b["cost_distance_cny"])}
    out["baseline"] = baseline.mode
    out["method"] = COMPARISON_NOTES[-1]
    return out


def compare_modes(scenario: Scenario, params: RoutingParams | None = None, network=None,
                  time_limit_s: float | None = None, seed: int | None = None,
                  progress: Callable | None = None, postal_courier: bool = True,
                  sharing: bool = False, without_cultural: bool = False) -> ModeComparison:
    """Plan both modes (and, with ``postal_courier``, the 邮快合作 baseline) on the same day's parcels and
    compare them (see :class:`ModeComparison`).

    The plans are made in parallel processes (``[routing] workers``,
    :mod:`~culture_logistics.routing.parallel`); they are the same plans as made one after the other.

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.inputs.scenario.Scenario`.
    params : routing parameters (default: the scenario's checked ``[routing]`` and ``[[fleet]]``).
    network : a :class:`~culture_logistics.network.roads.RoadNetwork` to reuse (built when None).
    time_limit_s, seed : override ``params`` (seconds per model of 40+ stops; solver seed).
    progress : optional callable receiving one line of text per model.
    postal_courier : also plan the 邮快合作 baseline (couriers hand over to the postal stations).
    sharing : also plan every coalition of the carrying operators and share the shared plan's cost
        (``cost_sharing``, :mod:`~culture_logistics.routing.sharing`).
    without_cultural : also plan shared and separate without the cultural parcels, for their marginal cost
        (``without_cultural_cost_cny``, as :func:`~culture_logistics.routing.plan.solve_without_cultural` after
        the comparison), among the comparison's other plans; nothing when the villages carry no other parcels.

    Returns
    -------
    ModeComparison
        ``separate`` and ``shared`` :class:`~culture_logistics.routing.plan.RoutePlan` on exactly the same
        parcels, ``table`` (a DataFrame: vehicles, km, CNY/day, driver hours, cost per parcel, unserved; saving in %)
        and ``summary()``.  Distances in metres inside, km in the tables; money in CNY per day.
    """
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    check_plannable(scenario, "compare")
    ctx = build_context(scenario, params, network)
    # one job per separate operator (the three largest pieces of work), the shared plan, 邮快合作, coalitions
    dem = mode_demand(ctx, "separate")
    ops = mode_operators("separate", params)

    def part(op):
        return lambda c, pr: plan_operator(c, "separate", op, dem[op], pr)

    jobs: dict = {("separate", op): part(op) for op in ops} | {"shared": lambda c, pr: plan_mode(c, "shared", pr)}
    if postal_courier:  # its supply co-op part is the separate plan's
        jobs["postal_courier"] = postal_part
    bare = without_cultural_context(ctx) if without_cultural else None
    if bare is not None:
        jobs |= without_cultural_jobs(bare, ops)
    if sharing:
        jobs |= {("coalition", k): fn for k, fn in coalition_jobs(ctx, skip_grand=True).items()}
    plans = plan_many(ctx, jobs, params.workers, progress)
    sep = assemble_plan(ctx, "separate", [plans[("separate", op)] for op in ops])
    sh, pc = plans["shared"], None
    if bare is not None:
        note_without_cultural(sh, plans[("without", "shared")])
        note_without_cultural(sep, assemble_plan(bare, "separate", [plans[("without", op)] for op in ops]))
    if postal_courier:
        pc = plan_postal_courier(ctx, progress, postal=plans["postal_courier"],
                                 supply_coop=plans.get(("separate", "supply_coop")))
    res = ModeComparison(sh, sep, comparison_table(sep, sh, pc), postal_courier=pc)
    if sharing:
        co = {k[1]: v for k, v in plans.items() if isinstance(k, tuple) and k[0] == "coalition"}
        co[frozenset(ops)] = sh
        res.cost_sharing = share_from_plans(ctx, co)
    return res


def without_cultural_jobs(bare, ops: list[str]) -> dict:
    """The jobs (for :func:`~culture_logistics.routing.parallel.plan_many`) of the shared plan and of each
    separate operator's part on ``bare`` (the context without the cultural parcels,
    :func:`~culture_logistics.routing.plan.without_cultural_context`); each runs on ``bare`` whatever context
    it is given, and its progress lines say "without cultural parcels"."""
    dem = mode_demand(bare, "separate")

    def shared(_ctx, pr):
        return plan_mode(bare, "shared", None if pr is None else without_cultural_progress(pr))

    def part(op):
        return lambda _ctx, pr: plan_operator(bare, "separate", op, dem[op],
                                              None if pr is None else without_cultural_progress(pr))

    return {("without", "shared"): shared} | {("without", op): part(op) for op in ops}
