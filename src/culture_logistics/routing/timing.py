"""An operator's own trunk timing (separate mode and 邮快合作): deadlines only where they pay.

The deadline trunk (:func:`~culture_logistics.routing.timing.solve_trunk`) reaches every station early
enough for the last-mile routes planned as if it opened at day start, which can take an extra trunk
van (320 CNY a day) to save a station's vans a late start.  Each operator carrying its own share has its
own, much smaller, last mile; so here the operator's trunk is also solved without deadlines, each
station's last mile re-timed (or re-solved) from the moment that trunk unloads there, and the cheaper
of the two — trunk plus its last mile, in CNY a day, never dropping more stops — is kept.
"""
from __future__ import annotations

from dataclasses import replace

from culture_logistics.config.routing import hhmm
from culture_logistics.routing.solving import SolveOutcome, explain_dropped, reopen_later, solve_spec
from culture_logistics.routing.specs import ModelSpec, PlanContext


def _ready(trunk: ModelSpec, o: SolveOutcome) -> dict[str, int]:
    """Station id → the second its trunk van has finished unloading there."""
    out: dict[str, int] = {}
    if o.solution is None:
        return out
    for r in o.solution.routes:
        for j, s in enumerate(r.stops):
            out[trunk.stops[o.keep[s]].stop_id] = int(r.service_start_s[j] + o.model.stops[s].service_s)
    return out


def _cost(o: SolveOutcome) -> tuple[int, float]:
    """(stops dropped, CNY/day) of one solved model."""
    if o.solution is None:
        return len(o.spec.stops), 0.0
    return len(o.solution.dropped) + len(o.spec.stops) - len(o.keep), float(o.solution.cost)


def _total(ctx: PlanContext, trunk: ModelSpec, o: SolveOutcome, lm_out: dict) -> tuple[int, float]:
    """Dropped stops and cost of ``o`` with every station's last mile starting once it has unloaded."""
    ready = _ready(trunk, o)
    dropped, cost = _cost(o)
    for did, lo in lm_out.items():
        if did in ready and lo.spec.depot.tier != "county":
            lo = reopen_later(ctx, lo, max(ctx.params.day_start_s, ready[did]))
        d, c = _cost(lo)
        dropped, cost = dropped + d, cost + c
    return dropped, cost


def own_trunk_timing(ctx: PlanContext, trunk: ModelSpec, deadline_outcome: SolveOutcome, lm_out: dict,
                     warnings: list) -> SolveOutcome:
    """The cheaper of ``deadline_outcome`` and the same trunk without station deadlines (see the module).

    Only with ``wait_for_trunk`` (otherwise the trunk has no deadlines to drop).  The chosen outcome's
    ``stats['trunk_timing']`` says which (``"deadlines"`` or ``"own_last_mile"``) and both costs.
    """
    if not ctx.params.wait_for_trunk or deadline_outcome.solution is None:
        return deadline_outcome
    free = replace(trunk, stops=[replace(s, tw=ctx.params.time_windows.get(s.stop_id)) for s in trunk.stops])
    o_free = solve_spec(ctx, free, diagnose=False)
    a = _total(ctx, trunk, deadline_outcome, lm_out)
    b = _total(ctx, free, o_free, lm_out)
    info = {"deadlines_cny": round(a[1], 2), "no_deadlines_cny": round(b[1], 2)}
    # restore the last mile's opening at day start: plan_mode re-opens it from the chosen trunk
    for lo in lm_out.values():
        lo.spec.open_s = ctx.params.day_start_s
    if b[0] <= a[0] and b[1] < a[1] - 0.005:
        explain_dropped(ctx, o_free)
        o_free.stats["trunk_timing"] = "own_last_mile"
        o_free.stats["trunk_timing_cny"] = info
        warnings.append(f"{trunk.operator}: its trunk runs without station deadlines and each station's vans leave "
                        f"once it has unloaded: {b[1]:,.0f} instead of {a[1]:,.0f} CNY/day for its trunk and last mile")
        return o_free
    deadline_outcome.stats["trunk_timing"] = "deadlines"
    deadline_outcome.stats["trunk_timing_cny"] = info
    return deadline_outcome


def solve_trunk(ctx: PlanContext, trunk: ModelSpec, lm_out: dict, warnings: list) -> SolveOutcome:
    """The trunk, reaching every station early enough for its last-mile routes.

    With ``wait_for_trunk`` every station gets a deadline, tried from the tightest down:

    1. *stocked* (only when ``trunk_start`` is before ``day_start``: a night trunk): unloaded by
       ``day_start``, so the station's vans leave when their day starts and never wait;
    2. *in time*: the latest arrival that still lets its last-mile routes (solved as if it opened at
       day start) leave after unloading and be back by day end;
    3. its own time window only (its last mile is then re-planned with the late start).

    A station the trunk cannot reach by one deadline gets the next one (a re-solve), the others
    keep theirs; ``stats["station_deadlines"]`` gives the deadlines kept.
    """
    p = ctx.params
    if not p.wait_for_trunk:
        return solve_spec(ctx, trunk)
    service = int(round(60 * p.station_service_min))
    original = {s.stop_id: s.tw for s in trunk.stops}
    levels: dict[str, list[int]] = {}
    for st in trunk.stops:
        o = lm_out.get(st.stop_id)
        if o is None or o.solution is None or not o.solution.routes:
            continue
        close = int(o.model.depots[0].tw_late)
        slack = min(close - r.return_s for r in o.solution.routes)
        e, l = st.tw if st.tw is not None else (None, None)
        tiers = ([p.day_start_s - service] if trunk.open_s < p.day_start_s else []) + [p.day_start_s + slack - service]
        tiers = [max(d, e) if e is not None else d for d in tiers]
        tiers = [int(d) for d in tiers if l is None or d < l]
        if tiers:
            levels[st.stop_id] = tiers
    level = {sid: 0 for sid in levels}
    names = {s.stop_id: s.stop_name for s in trunk.stops}
    while True:
        for st in trunk.stops:
            if st.stop_id in level and level[st.stop_id] < len(levels[st.stop_id]):
                e = original[st.stop_id][0] if original[st.stop_id] is not None else None
                st.tw = (e, levels[st.stop_id][level[st.stop_id]])
            else:
                st.tw = original[st.stop_id]
        o = solve_spec(ctx, trunk, diagnose=False)
        dropped = {trunk.stops[o.keep[m]].stop_id for m in (o.solution.dropped if o.solution is not None else [])}
        late = sorted(sid for sid in dropped if sid in level and level[sid] < len(levels[sid]))
        if not late:
            break
        for sid in late:
            t = levels[sid][level[sid]]
            level[sid] += 1
            nxt = levels[sid][level[sid]] if level[sid] < len(levels[sid]) else None
            if nxt is not None:
                warnings.append(f"{trunk.operator}: the trunk leaving at {hhmm(trunk.open_s)} cannot stock station "
                                f"{sid} {names[sid]} by {hhmm(t)}; its vans wait for it (deadline {hhmm(nxt)})")
            else:
                warnings.append(f"{trunk.operator}: the trunk cannot reach station {sid} by {hhmm(t)}, when its "
                                f"last-mile routes would have to start to be back by {hhmm(p.day_end_s)}; it is "
                                "served later and its last mile re-planned")
    o.stats["station_deadlines"] = {sid: hhmm(levels[sid][k]) for sid, k in level.items() if k < len(levels[sid])}
    explain_dropped(ctx, o)
    return o
