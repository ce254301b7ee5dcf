"""An operator's own trunk timing (separate mode and 邮快合作): deadlines only where they pay.

The deadline trunk (:func:`~culture_logistics.routing.plan.solve_trunk`) reaches every station early
enough for the last-mile routes planned as if it opened at day start, which can take an extra trunk
van (320 CNY a day) to save a station's vans a late start.  Each operator carrying its own share has its
own, much smaller, last mile; so here the operator's trunk is also solved without deadlines, each
station's last mile re-timed (or re-solved) from the moment that trunk unloads there, and the cheaper
of the two — trunk plus its last mile, in CNY a day, never dropping more stops — is kept.
"""
from __future__ import annotations

from dataclasses import replace

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
