"""Fair cost sharing of the shared plan between the carrying operators: coalitions, Shapley value, core.

The carrying operators present are those with a share of the parcels (``[routing.shares]`` > 0: postal,
supply_coop, courier).  For every non-empty coalition *S* of them (7 for three) the **shared-mode
planner** plans only *S*'s parcels: each village's daily parcels are split between the operators exactly
as in separate mode (largest remainder, :func:`~culture_logistics.routing.specs.split_by_shares`) and *S* carries
the sum of its members' parts.  A coalition uses the shared network — the shared county co-delivery
centre (or, without one, the county depot of the first of shared, postal, supply co-op, courier) and one
station per township chosen by the same preference — and the ``shared`` fleet; a township none of
whose villages has a parcel of *S* gets no station and no last mile.  So coalitions differ only in their
parcels, and cost(*S*) is what *S*'s operators would pay running the shared network for themselves.  The
grand coalition is the shared plan itself (its parcels are the day's parcels), so the shares add up to
the shared plan's cost.

Every coalition is planned on the same road matrices, with the same seed and the same per-model solver
budget (``[routing] time_limit_s``, ``seed``, engine), so the figures compare.  A heuristic can still
plan a subset of parcels dearer than a superset, or a union dearer than its parts apart; such
non-monotone and super-additive pairs are detected and reported (never hidden), as are coalition plans
that leave stops unserved (then cost(*S*) is not like for like).

Allocation: the **Shapley value** φᵢ = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (cost(S∪{i}) − cost(S)), beside a
split in proportion to each operator's parcels (in + out).  Both are rounded to the fen (0.01 CNY) with a
largest-remainder fix so they sum to the grand coalition's cost exactly.  **Core**: an allocation x is in
the core when no coalition pays more than it would alone: Σ_{i∈S} xᵢ ≤ cost(S) for every S (checked for
every coalition, to within half a fen per member for the rounding).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from culture_logistics.config.model import CARRIERS, OPERATOR_ZH
from culture_logistics.config.routing import RoutingParams, parse_overrides
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.routing.parallel import plan_many
from culture_logistics.routing.plan import RoutePlan, check_plannable, mode_operators, plan_mode
from culture_logistics.routing.specs import PlanContext, build_context, split_by_shares

#: coalitions.csv: one row per coalition.
COALITIONS_COLUMNS = ["coalition", "operators", "cost", "vehicles", "km"]

#: cost_sharing.csv: one row per carrying operator.
COST_SHARING_COLUMNS = ["operator", "parcels", "standalone_cost", "shapley_share", "proportional_share",
                        "saving_vs_standalone_pct", "in_core"]

_TOL = 0.005  # CNY: half a fen


def coalition_name(members) -> str:
    """``"postal+courier"``: the members in :data:`CARRIERS` order, joined by ``+``."""
    return "+".join(op for op in CARRIERS if op in set(members))


@dataclass
class CostSharing:
    """The cost-sharing game of one county's day and its allocations.

    Attributes
    ----------
    players : the carrying operators present, in :data:`CARRIERS` order.
    cost : coalition (frozenset of players) → plan cost, CNY/day (rounded to the fen).
    plans : coalition → its :class:`RoutePlan` (the grand coalition's is the shared plan).
    parcels : player → parcels a day (delivered + picked up) on its share.
    shapley, proportional : player → share of the grand coalition's cost, CNY/day, in fen.
    violations : core constraints the Shapley allocation breaks (``{"coalition", "pays", "alone"}``).
    proportional_violations : the same for the proportional split.
    noise : non-monotone and super-additive coalition pairs, and coalitions with unserved stops.
    """

    players: list
    cost: dict
    plans: dict
    parcels: dict
    shapley: dict
    proportional: dict
    violations: list = field(default_factory=list)
    proportional_violations: list = field(default_factory=list)
    noise: list = field(default_factory=list)

    @property
    def grand(self) -> frozenset:
        return frozenset(self.players)

    @property
    def in_core(self) -> bool:
        """The Shapley allocation is in the core (no coalition pays more than its own plan would cost)."""
        return not self.violations

    def coalitions(self) -> list[frozenset]:
        """Every non-empty coalition: by size, then in :data:`CARRIERS` order."""
        return _all_coalitions(self.players)

    def coalitions_table(self) -> pd.DataFrame:
        """``coalitions.csv`` (:data:`COALITIONS_COLUMNS`): cost in CNY/day, vehicles, km of the plan."""
        rows = []
        for c in self.coalitions():
            t = self.plans[c].totals()
            rows.append({"coalition": coalition_name(c),
                         "operators": "、".join(OPERATOR_ZH[op] for op in CARRIERS if op in c),
                         "cost": self.cost[c], "vehicles": t["vehicles"], "km": t["distance_km"]})
        return pd.DataFrame(rows, columns=COALITIONS_COLUMNS)

    def sharing_table(self) -> pd.DataFrame:
        """``cost_sharing.csv`` (:data:`COST_SHARING_COLUMNS`).

        ``standalone_cost`` = cost({i}); ``saving_vs_standalone_pct`` = (standalone − Shapley share) /
        standalone × 100; ``in_core`` = every coalition that includes the operator pays at most its own
        plan's cost under the Shapley shares.
        """
        bad = [set(v["coalition"].split("+")) for v in self.violations]
        rows = []
        for op in self.players:
            alone = self.cost[frozenset([op])]
            sh = self.shapley[op]
            rows.append({"operator": op, "parcels": self.parcels[op], "standalone_cost": alone,
                         "shapley_share": sh, "proportional_share": self.proportional[op],
                         "saving_vs_standalone_pct": round(100.0 * (alone - sh) / alone, 2) if alone else None,
                         "in_core": not any(op in b for b in bad)})
        return pd.DataFrame(rows, columns=COST_SHARING_COLUMNS)

    def summary(self) -> dict:
        """summary.json ``cost_sharing``."""
        shared = self.cost[self.grand]
        return {
            "players": list(self.players),
            "grand_coalition_cost_cny": shared,
            "shapley_sum_cny": round(sum(self.shapley.values()), 2),
            "coalitions": [{"coalition": coalition_name(c), "cost_cny": self.cost[c],
                            "unserved_stops": int(len(self.plans[c].unserved))} for c in self.coalitions()],
            "operators": [dict(r) for r in self.sharing_table().to_dict("records")],
            "in_core": self.in_core,
            "core_violations": list(self.violations),
            "proportional_in_core": not self.proportional_violations,
            "proportional_core_violations": list(self.proportional_violations),
            "noise": list(self.noise),
            "method": ("each coalition's parcels planned on the shared network (shared county centre, one station "
                       "per township, shared fleet) with the same seed and solver budget; Shapley value and a "
                       "parcel-proportional split, both rounded to the fen by largest remainder; core checked on "
                       "every coalition"),
        }


def shapley_values(players: list, cost: dict) -> dict:
    """Exact Shapley value of the cost game (``cost[frozenset] → CNY``, the empty coalition costs 0)."""
    n = len(players)
    out = {}
    for i in players:
        others = [p for p in players if p != i]
        phi = 0.0
        for k in range(n):
            w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for s in itertools.combinations(others, k):
                S = frozenset(s)
                phi += w * (cost[S | {i}] - cost.get(S, 0.0))  # the empty coalition costs 0
        out[i] = phi
    return out


def round_to_fen(values: dict, total: float, order: list) -> dict:
    """``values`` rounded to 0.01 so that they sum to ``total`` (rounded to 0.01) exactly: each value is
    floored to the fen and the fen left over go to the largest remainders (ties in ``order``)."""
    target = int(round(total * 100))
    raw = {k: values[k] * 100 for k in order}
    fen = {k: math.floor(raw[k] + 1e-7) for k in order}
    rest = target - sum(fen.values())
    ranked = sorted(order, key=lambda k: (-(raw[k] - fen[k]), order.index(k)))
    step = 1 if rest >= 0 else -1
    if step < 0:
        ranked = ranked[::-1]
    for j in range(abs(rest)):
        fen[ranked[j % len(ranked)]] += step
    return {k: fen[k] / 100 for k in order}


def core_violations(alloc: dict, cost: dict, coalitions: list) -> list[dict]:
    """Every coalition S with Σ_{i∈S} alloc_i > cost(S) (beyond half a fen per member)."""
    out = []
    for c in coalitions:
        pays = round(sum(alloc[i] for i in c), 2)
        if pays > cost[c] + _TOL * len(c):
            out.append({"coalition": coalition_name(c), "pays": pays, "alone": cost[c],
                        "excess": round(pays - cost[c], 2)})
    return out


def noise_checks(cost: dict, plans: dict, coalitions: list) -> list[dict]:
    """Coalition pairs a perfect planner would not produce: a subset dearer than a superset
    (``non_monotone``), two disjoint coalitions dearer together than apart (``super_additive``); and
    coalitions whose plan leaves stops unserved (``unserved``)."""
    out = []
    for a in coalitions:
        for b in coalitions:
            if a < b and cost[a] > cost[b] + _TOL:
                out.append({"kind": "non_monotone", "coalition": coalition_name(a), "superset": coalition_name(b),
                            "cost": cost[a], "superset_cost": cost[b],
                            "note": "fewer parcels planned dearer than more: solver noise (same seed and budget)"})
            if coalition_name(a) < coalition_name(b) and not (a & b) and (a | b) in cost and \
                    cost[a | b] > cost[a] + cost[b] + _TOL:
                out.append({"kind": "super_additive", "coalition": coalition_name(a | b),
                            "parts": [coalition_name(a), coalition_name(b)], "cost": cost[a | b],
                            "parts_cost": round(cost[a] + cost[b], 2),
                            "note": "the union planned dearer than its parts apart"})
    for c in coalitions:
        u = len(plans[c].unserved)
        if u:
            out.append({"kind": "unserved", "coalition": coalition_name(c), "unserved_stops": int(u),
                        "note": "this coalition's plan leaves stops unserved: its cost is not like for like"})
    return out


def _coalition_demand(ctx: PlanContext, members) -> dict:
    """{"shared": {village code: (delivery, pickup)}} of the coalition's parcels."""
    p = ctx.params
    out = {}
    for c, a, b in zip(ctx.villages["code"], ctx.villages["daily_in"], ctx.villages["daily_out"]):
        sa, sb = split_by_shares(int(a), p.shares), split_by_shares(int(b), p.shares)
        out[c] = (sum(sa[op] for op in members), sum(sb[op] for op in members))
    return {"shared": out}


def coalition_jobs(ctx: PlanContext, skip_grand: bool = False) -> dict:
    """coalition → job planning its parcels on the shared network (for
    :func:`~culture_logistics.routing.parallel.plan_many`); without the grand coalition if ``skip_grand``."""
    players = _players(ctx.params)
    grand = frozenset(players)

    def job(c):
        def run(ctx: PlanContext, progress: Callable | None = None) -> RoutePlan:
            if progress:
                progress(f"coalition {coalition_name(c)}: planning its parcels on the shared network")
            return plan_mode(ctx, "shared", None, demand=_coalition_demand(ctx, c))
        return run

    return {c: job(c) for c in _all_coalitions(players) if not (skip_grand and c == grand)}


def _players(params: RoutingParams) -> list:
    """The carrying operators present: the separate plan's operators (a share of the parcels > 0)."""
    return mode_operators("separate", params)


def _all_coalitions(players: list) -> list:
    return [frozenset(c) for k in range(1, len(players) + 1) for c in itertools.combinations(players, k)]


def share_from_plans(ctx: PlanContext, plans: dict) -> CostSharing:
    """The cost-sharing game of ``plans`` (coalition → its plan, every coalition of the players)."""
    players = _players(ctx.params)
    grand = frozenset(players)
    dem = {op: _coalition_demand(ctx, [op])["shared"] for op in players}
    parcels = {op: int(sum(a + b for a, b in dem[op].values())) for op in players}
    coalitions = _all_coalitions(players)
    cost = {c: round(float(plans[c].routes["cost"].sum()), 2) for c in coalitions}
    total = cost[grand]
    shapley = round_to_fen(shapley_values(players, cost), total, players)
    tp = sum(parcels.values())
    prop = round_to_fen({op: total * parcels[op] / tp if tp else total / len(players) for op in players},
                        total, players)
    return CostSharing(players, cost, {c: plans[c] for c in coalitions}, parcels, shapley, prop,
                       core_violations(shapley, cost, coalitions), core_violations(prop, cost, coalitions),
                       noise_checks(cost, plans, coalitions))


def share_costs(scenario: Scenario, params: RoutingParams | None = None, shared_plan: RoutePlan | None = None,
                network=None, time_limit_s: float | None = None, seed: int | None = None,
                progress: Callable | None = None) -> CostSharing:
    """Plan every coalition of the carrying operators and share the shared plan's cost.

    Parameters
    ----------
    scenario : the county.
    params : routing parameters (default: the scenario's); ``time_limit_s``, ``seed`` override them.
    shared_plan : the shared plan already made with the same parameters (``route --mode compare``): it is
        the grand coalition's plan and is not planned again.
    network : a road network to reuse (default: the shared plan's, else built).
    progress : optional callable receiving one line per coalition.

    The coalitions are planned in parallel processes (``[routing] workers``,
    :mod:`~culture_logistics.routing.parallel`); the plans are the same as one after the other.

    Returns
    -------
    CostSharing
        costs in CNY/day, Shapley and proportional shares rounded to the fen and summing to the grand
        coalition's (= the shared plan's) cost.
    """
    params = params or RoutingParams.from_scenario(scenario)
    params = parse_overrides(params, time_limit_s, seed)
    check_plannable(scenario, "shared")
    net = network if network is not None else (shared_plan.net if shared_plan is not None else None)
    ctx = build_context(scenario, params, net)
    plans = plan_many(ctx, coalition_jobs(ctx, skip_grand=shared_plan is not None), params.workers, progress)
    if shared_plan is not None:
        plans[frozenset(_players(params))] = shared_plan
    return share_from_plans(ctx, plans)
