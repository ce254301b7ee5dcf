"""邮快合作 (post-courier cooperation): the realistic baseline between separate and shared delivery.

The couriers (快递) still drive their own trunk from their county depot, but to the **postal**
township stations, where they hand their parcels to China Post; from there only the postal and the
supply-co-op vans go on to the villages:

* ``postal``      trunk: its county depot → its stations with the postal share only; last mile: each
                  postal station's villages with the postal **and** courier shares (one postal visit);
* ``courier``     trunk only: its county depot → the same postal stations with the courier share
                  (and back with the courier share of the pickups); no last mile;
* ``supply_coop`` exactly as in the separate mode (its part of the separate plan, reused in compare mode).

The last mile is planned as in the shared and separate plans: with ``assignment = "county"`` (the
default) county-wide, each station's ``capacity_per_day`` a hard limit on the inbound parcels its vans
leave with — at a postal station the postal and courier parcels together — and a village may be served
from another postal station (``villages_moved``).  Each trunk reaches a station by the deadline its last
mile sets (:func:`~culture_logistics.routing.timing.solve_trunk`); a postal station's vans leave once both
trunks have unloaded there.  The plan is a
:class:`~culture_logistics.routing.plan.RoutePlan` with ``mode = "postal_courier"``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from culture_logistics.routing.assign import county_last_mile
from culture_logistics.routing.plan import (
    PlanPart,
    RoutePlan,
    assemble_plan,
    mode_demand,
    plan_operator,
    unloading_times,
)
from culture_logistics.routing.solving import explain_dropped, reopen_later, solve_spec
from culture_logistics.routing.specs import (
    PlanContext,
    county_depot,
    cultural_parcels,
    operator_specs,
    trunk_spec,
    village_count,
)
from culture_logistics.routing.timing import own_trunk_timing, solve_trunk

MODE = "postal_courier"


def _orphan_rows(ctx: PlanContext, op: str, orphans: list, demand: dict) -> list[dict]:
    vname = dict(zip(ctx.villages["code"], ctx.villages["name"]))
    return [{"operator": op, "echelon": "last_mile", "depot_id": "", "stop_id": c, "stop_name": vname[c],
             "stop_kind": "village_centre", "delivery": demand[c][0], "pickup": demand[c][1], "reason_code": "no_depot",
             "reason": f"{op} has no county depot or township station in the county",
             "smallest_fix": f"add a {op} township station or county depot to facilities.csv",
             "fix_checked": False, "fix_extra_cost": None} for c in orphans]


def _last_mile(ctx: PlanContext, op: str, lm: dict, progress: Callable | None) -> tuple[dict, dict, list, list]:
    """The last mile of ``op`` as the shared and separate plans plan it (:func:`~culture_logistics.routing.
    plan.plan_mode`): county-wide with every station's ``capacity_per_day`` a hard limit on the parcels its vans
    leave with (``assignment = "county"``), else one model per station.  Returns (specs, outcomes, villages
    moved, statistics of the county-wide models)."""
    if ctx.params.assignment == "county" and lm:
        return county_last_mile(ctx, op, lm, None if progress is None else (lambda line: progress(f"{MODE} {line}")))
    out = {}
    for did in sorted(lm):
        if progress:
            progress(f"{MODE} {op} last mile: {village_count(lm[did].stops)} villages from {did}")
        out[did] = solve_spec(ctx, lm[did], diagnose=False)
    return lm, out, [], []


def _courier_trunk(ctx: PlanContext, trunk, lm: dict, postal: dict, courier: dict, warnings: list):
    """Split the postal trunk (``trunk``, every station with the postal and courier shares of the villages it
    now serves) into the postal share, in place, and the courier trunk with the courier share (None when the
    couriers have no county depot or nothing to hand over)."""
    groups = {did: list(dict.fromkeys(s.code for s in spec.stops)) for did, spec in lm.items()}
    cdep = county_depot(ctx, "courier", warnings)
    cstops = []
    for st in trunk.stops:
        codes = groups[st.stop_id]
        ccult = [cultural_parcels(ctx, c, courier[c][0], courier[c][1], "courier") for c in codes]
        pcult = [cultural_parcels(ctx, c, postal[c][0], postal[c][1], "postal") for c in codes]
        cstops.append(replace(st, delivery=sum(courier[c][0] for c in codes), pickup=sum(courier[c][1] for c in codes),
                              delivery_cultural=sum(x[0] for x in ccult), pickup_cultural=sum(x[1] for x in ccult)))
        st.delivery = sum(postal[c][0] for c in codes)
        st.pickup = sum(postal[c][1] for c in codes)
        st.delivery_cultural, st.pickup_cultural = sum(x[0] for x in pcult), sum(x[1] for x in pcult)
    if cdep is None or not any(s.delivery or s.pickup for s in cstops):
        return None
    return replace(trunk, operator="courier", depot=cdep, stops=cstops, fleet=ctx.params.fleet_for("courier", "trunk"))


def plan_postal_courier(ctx: PlanContext, progress: Callable | None = None, postal: PlanPart | None = None,
                        supply_coop: PlanPart | None = None) -> RoutePlan:
    """The 邮快合作 plan of ``ctx`` (see the module docstring): the postal part (:func:`postal_part`) and
    the supply co-op's, which is its part of the separate plan; either is planned here unless given
    (compare mode plans them as jobs of their own and reuses the separate plan's supply co-op part)."""
    if postal is None:
        postal = postal_part(ctx, progress)
    if supply_coop is None:
        supply_coop = plan_operator(ctx, "separate", "supply_coop", mode_demand(ctx, "separate")["supply_coop"], progress)
    return assemble_plan(ctx, MODE, [postal, supply_coop])


def postal_part(ctx: PlanContext, progress: Callable | None = None) -> PlanPart:
    """The postal part of the 邮快合作 plan: the postal last mile carrying the postal and courier shares,
    the postal trunk with the postal share and the courier trunk to the postal stations with the courier's.

    The last mile is planned as in the shared and separate plans (:func:`_last_mile`: with ``assignment =
    "county"`` a postal station's ``capacity_per_day`` bounds the postal **and** courier parcels its vans
    leave with, and villages may move to another postal station); the trunks then go to the stations that
    serve each village.
    """
    t0 = time.perf_counter()
    p = ctx.params
    warnings: list[str] = []
    outcomes: list = []
    unserved: list[dict] = []
    dem = mode_demand(ctx, "separate")
    postal, courier = dem["postal"], dem["courier"]
    merged = {c: (postal[c][0] + courier[c][0], postal[c][1] + courier[c][1]) for c in postal}
    op = "postal"
    trunk, lm, orphans = operator_specs(ctx, op, merged, warnings)
    unserved += _orphan_rows(ctx, op, orphans, merged)
    lm, lm_out, moved, extra_models = _last_mile(ctx, op, lm, progress)
    trunk = trunk_spec(ctx, op, trunk.depot, lm) if trunk is not None else None
    trunks = [] if trunk is None else [trunk]
    if trunk is not None:
        trunks += [t for t in (_courier_trunk(ctx, trunk, lm, postal, courier, warnings),) if t is not None]
    ready: dict[str, int] = {}
    for t in trunks:
        if progress:
            progress(f"{MODE} {t.operator} trunk: {len(t.stops)} stations from {t.depot.id}")
        o = own_trunk_timing(ctx, t, solve_trunk(ctx, t, lm_out, warnings), lm_out, warnings)
        outcomes.append(o)
        for sid, at in unloading_times(o).items():  # a postal station waits for both trunks
            ready[sid] = max(ready.get(sid, 0), at)
    for did in sorted(lm):
        o = lm_out[did]
        if p.wait_for_trunk and trunks and lm[did].depot.tier != "county" and did in ready:
            o = reopen_later(ctx, o, max(p.day_start_s, ready[did]))
        explain_dropped(ctx, o)
        outcomes.append(o)
    return PlanPart(outcomes, unserved, [], moved, extra_models, warnings, time.perf_counter() - t0)
