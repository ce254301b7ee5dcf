"""Siting: which facilities become shared village service points, and where new ones go.

The coverage stage (:mod:`culture_logistics.coverage`) finds the *gap villages*: villages that are
not *reached* (some carrying operator has no facility, and no ``shared`` facility lies, within
``radius_m`` along the network).  Siting closes those gaps by sharing what exists.

Candidates
----------
* **existing** — every facility whose operator is not ``shared``.  Converting it makes it a shared
  point, which accepts every operator's parcels.  Cost ``[siting] convert_cost`` (CNY, default
  20,000); capacity ``capacity_per_day × [siting] delivery_days_per_week`` parcels/week (unlimited
  when the facility has no capacity).
* **new** — every village, as a new shared point in its cultural centre or committee office
  (``site_id`` = the village code).  Cost ``[siting] new_cost`` (CNY, default 80,000); capacity
  ``[siting] new_capacity_per_week`` parcels/week (default 300).

A chosen site *newly reaches* every gap village within ``radius_m`` of it along the network
(access leg + roads + access leg, see :mod:`culture_logistics.network`): being a shared point, it
reaches the village for every carrying operator, so the village becomes *reached*.  The candidate ×
village coverage is built sparsely with :meth:`RoadNetwork.pairs_within` (pairs within the radius
only), so a province fits in memory.

Models (all solved as MIPs with OR-Tools' bundled SCIP through ``pywraplp``; HiGHS selectable)
--------------------------------------------------------------------------------------------------
``mclp``      maximal covering: at most ``k`` sites and/or total cost ≤ ``budget`` (CNY); maximise
              the population newly reached.  Ties are broken lexicographically: among the sites
              reaching that population, the lowest population-weighted distance (person·m) from each
              newly reached village to its nearest chosen site.
``lscp``      set covering: the fewest sites (``minimize="count"``) or the cheapest
              (``minimize="cost"``) so that every gap village that *some* candidate reaches becomes
              reached; villages no candidate reaches are reported, never silently dropped.  Ties are
              broken lexicographically: fewest sites, then the cheapest of those (CNY), then the
              lowest weighted distance.  With ``budget`` (CNY) the cover must fit, else the error
              says what the cheapest cover costs.
``pmedian``   ``k`` sites (or a budget) minimising the population-weighted distance (person·m) from
              every gap village on the network to its nearest shared point — an existing ``shared``
              facility or a chosen site — with each distance capped at ``[siting] pmedian_cutoff_m``
              (default 3 × radius; villages with nothing within the cap count the cap).  Gap villages
              off the network are left out.
``capacitated=True``  each village is assigned to one chosen site, and a site serves at most its
              capacity (parcels/week) of the villages it newly serves; a village's demand is
              ``parcels_in_per_week + parcels_out_per_week``.  A village counts as newly reached
              only when assigned.  (Capacity bounds the added load only; the site's current
              traffic is not modelled.)

Every result states ``optimal`` (proved, with a relative MIP gap tolerance of 0) or the relative gap
to the proven bound; ``time_limit_s`` bounds the solver's time.

Exact reductions before the uncapacitated covering solves: candidates reaching nothing are dropped;
a candidate *dominated* by another (reaching a superset of its gap villages at no higher cost; ties
by index) is dropped — this removes the symmetry of co-located sites such as a village's own new
point and a station in that village; villages with the same candidate set share one variable (MCLP)
or one row (LSCP).  The lexicographic tie-break stages use every candidate again.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from culture_logistics.config.siting import MODELS, SitingParams
from culture_logistics.coverage.reach import CoverageResult, compute_coverage
from culture_logistics.errors import (
    CultureLogisticsError,
)
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.siting.instance import CoverInstance, ModelSolution
from culture_logistics.siting.models import solve_lscp, solve_mclp, solve_pmedian

SITES_COLUMNS = ["site_id", "name", "operator", "kind", "lon", "lat", "villages_newly_reached",
                 "population_newly_reached", "cost"]


ASSIGNMENT_COLUMNS = ["village_code", "village_name", "township_code", "township_name", "population",
                      "parcels_per_week", "site_id", "site_name", "distance_m", "newly_reached"]


@dataclass
class SitingResult:
    """The chosen shared village service points of one county, mapped back to the caller's rows.

    Attributes
    ----------
    sites : GeoDataFrame (EPSG:4326) of the chosen sites, ``SITES_COLUMNS`` plus ``tier``,
        ``capacity_per_week`` (parcels/week, NaN = unlimited), ``load_per_week`` (parcels/week of the
        villages newly served).  Costs in CNY.
    assignment : GeoDataFrame of the gap villages served by a chosen site (``ASSIGNMENT_COLUMNS``);
        geometry = line from the site to the village.
    gaps_after : villages still not reached after siting, with the reason.
    candidates : every candidate (``site_id, name, operator, kind, tier, lon, lat, cost,
        capacity_per_week``) and whether it was ``chosen``.
    fac2cli / cli2fac : spopt-style mappings: site_id → [village codes], village code → site_id.
    solution : the :class:`ModelSolution` in instance indices.
    """

    scenario: Scenario
    model: str
    k: int | None
    budget: float | None
    capacitated: bool
    params: SitingParams
    coverage: CoverageResult
    candidates: pd.DataFrame
    sites: gpd.GeoDataFrame
    assignment: gpd.GeoDataFrame
    gaps_after: pd.DataFrame
    solution: ModelSolution
    before: dict
    after: dict
    unreachable: pd.DataFrame
    timings: dict

    @property
    def fac2cli(self) -> dict[str, list[str]]:
        out: dict[str, list] = {sid: [] for sid in self.sites["site_id"]}
        for v, s in zip(self.assignment["village_code"], self.assignment["site_id"]):
            out.setdefault(s, []).append(v)
        return out

    @property
    def cli2fac(self) -> dict[str, str]:
        return dict(zip(self.assignment["village_code"], self.assignment["site_id"]))

    def summary(self) -> dict:
        sol = self.solution
        units = {"mclp": "persons newly reached", "pmedian": "person·m (capped distance to nearest shared point)",
                 "lscp": "sites" if sol.stats.get("minimize", "count") == "count" else "CNY"}
        return {
            "county": self.scenario.adcode,
            "county_name": self.scenario.name,
            "model": sol.model,
            "k": self.k,
            "budget": self.budget,
            "capacitated": self.capacitated,
            "radius_m": self.solution_radius,
            "objective": sol.objective,
            "objective_unit": units[self.model],
            "bound": sol.bound,
            "optimal": sol.optimal,
            "gap": sol.gap,
            "status": sol.status,
            # with a MIP gap tolerance of 0 only the time limit stops a solve short of a proof; a proven
            # optimum is the same on any machine, a time-limited answer depends on how far the search got
            "stopped_by_time_limit": not sol.optimal,
            "reproducible": bool(sol.optimal),
            "solver": sol.solver,
            "solve_seconds": round(sol.solve_seconds, 4),
            "build_seconds": round(sol.build_seconds, 4),
            "tie_break": sol.tie_break,
            "before": self.before,
            "after": self.after,
            "sites": int(len(self.sites)),
            "sites_existing": int((self.sites["kind"] == "existing").sum()),
            "sites_new": int((self.sites["kind"] == "new").sum()),
            "total_cost": float(self.sites["cost"].sum()),
            "cost_unit": "CNY",
            "candidates": {"existing": int((self.candidates["kind"] == "existing").sum()),
                           "new": int((self.candidates["kind"] == "new").sum())},
            "gap_villages": int(self.before["villages"] - self.before["villages_reached"]),
            "gap_villages_no_candidate": int(len(self.unreachable)),
            "gap_villages_no_candidate_codes": list(self.unreachable["village_code"]),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "synthetic_data": bool(getattr(self.scenario, "synthetic", False)),
        }

    @property
    def solution_radius(self) -> float:
        return float(self.params.radius_m)

    def sites_table(self) -> pd.DataFrame:
        """The ``sites.csv`` table (exact columns ``SITES_COLUMNS``)."""
        t = pd.DataFrame({c: self.sites[c].values for c in SITES_COLUMNS})
        return t

    def assignment_table(self) -> pd.DataFrame:
        t = pd.DataFrame({c: self.assignment[c].values for c in ASSIGNMENT_COLUMNS})
        t["newly_reached"] = np.where(t["newly_reached"].astype(bool), "true", "false")
        t["distance_m"] = t["distance_m"].round(0)
        return t


def build_candidates(scenario, params: SitingParams) -> pd.DataFrame:
    """Candidate sites of a scenario (existing non-shared facilities, then villages), with cost and capacity.

    Columns: site_id, name, operator (today's operator; ``shared`` for a new point), kind (existing|new),
    tier, lon, lat, cost (CNY), capacity_per_week (parcels/week, ``inf`` = unlimited).
    """
    frames = []
    if params.candidates in ("all", "existing"):
        f = scenario.facilities
        f = f[f["operator"] != "shared"]
        cap = f["capacity_per_day"].astype(float).to_numpy() * params.delivery_days_per_week
        frames.append(pd.DataFrame({
            "site_id": f["id"].astype(str).values, "name": f["name"].astype(str).values,
            "operator": f["operator"].values, "kind": "existing", "tier": f["tier"].values,
            "lon": f["lon"].astype(float).values, "lat": f["lat"].astype(float).values,
            "cost": params.convert_cost, "capacity_per_week": np.where(np.isnan(cap), np.inf, cap)}))
    if params.candidates in ("all", "new"):
        v = scenario.villages
        frames.append(pd.DataFrame({
            "site_id": v["code"].astype(str).values, "name": v["name"].astype(str).values,
            "operator": "shared", "kind": "new", "tier": "village",
            "lon": v["lon"].astype(float).values, "lat": v["lat"].astype(float).values,
            "cost": params.new_cost, "capacity_per_week": params.new_capacity_per_week}))
    if not frames:
        return pd.DataFrame(columns=["site_id", "name", "operator", "kind", "tier", "lon", "lat", "cost",
                                     "capacity_per_week"])
    return pd.concat(frames, ignore_index=True)


def solve_siting(scenario, model: str = "mclp", k: int | None = None, budget: float | None = None,
                 capacitated: bool = False, time_limit_s: float | None = None, minimize: str = "count",
                 coverage=None, params: SitingParams | None = None, solver: str = "scip",
                 tie_break: bool = True) -> SitingResult:
    """Choose the shared village service points that close a county's coverage gaps.

    Parameters
    ----------
    scenario : a loaded :class:`~culture_logistics.inputs.scenario.Scenario`.
    model : ``"mclp"``, ``"lscp"`` or ``"pmedian"`` (see the module docstring).
    k : at most this many sites (mclp, pmedian).
    budget : total cost at most this many CNY (mclp, pmedian; for lscp a cap on the cover's cost).
    capacitated : assign villages to sites within capacity (parcels/week).
    time_limit_s : solver time limit in seconds (default ``[siting] time_limit_s``, 60 s).
    minimize : lscp only: ``"count"`` (fewest sites) or ``"cost"`` (cheapest, CNY).
    coverage : a :class:`~culture_logistics.coverage.reach.CoverageResult` (computed when omitted).
    params : siting parameters (default: read from ``[siting]``).
    solver : ``"scip"`` (default) or ``"highs"``, both bundled with OR-Tools.

    Returns
    -------
    SitingResult

    Raises
    ------
    CultureLogisticsError / InfeasibleError / SolverError
        for a bad K or model, a budget that buys nothing or cannot cover, or no solution in time.

    The stage's recipe (coverage, candidates, instance, reductions,
    solve, result), each step one call, in the order a reader checks them.
    """

    if model not in MODELS:
        raise CultureLogisticsError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    params = params or SitingParams.from_scenario(scenario)
    if params.radius_m is None:
        params = _replace(params, radius_m=float(scenario.coverage.radius_m))
    if params.pmedian_cutoff_m is None:
        params = _replace(params, pmedian_cutoff_m=3.0 * params.radius_m)
    if k is None and budget is None and model != "lscp":
        k, budget = params.k, params.budget
    if model == "lscp" and k is not None:
        raise CultureLogisticsError("lscp finds the number of sites itself; --k applies to mclp and pmedian "
                                    "(use --budget to cap the cost of the cover)")
    time_limit_s = params.time_limit_s if time_limit_s is None else float(time_limit_s)
    if time_limit_s <= 0:
        raise CultureLogisticsError(f"the time limit must be > 0 s, got {time_limit_s}")
    timings = {}
    t0 = time.perf_counter()
    cov = coverage if coverage is not None else compute_coverage(scenario, radius_m=params.radius_m)
    timings["coverage"] = time.perf_counter() - t0
    net = cov.network
    cands = build_candidates(scenario, params)
    if not len(cands):
        raise CultureLogisticsError("there are no candidate sites: every facility is already shared and "
                                    "[siting] candidates excludes new village sites")
    v = cov.villages
    gap_idx = np.flatnonzero(~v["reached"].to_numpy(bool))
    gaps = v.iloc[gap_idx]
    vil = scenario.villages.set_index("code").loc[gaps["village_code"]]
    demand = (vil["parcels_in_per_week"].astype(float) + vil["parcels_out_per_week"].astype(float)).to_numpy()
    t1 = time.perf_counter()
    cutoff = params.pmedian_cutoff_m if model == "pmedian" else params.radius_m
    cs = net.snap(cands["lon"].to_numpy(), cands["lat"].to_numpy())
    gs = net.snap(gaps["lon"].to_numpy(float), gaps["lat"].to_numpy(float))
    pi, pj, pd_ = net.pairs_within(cs, gs, cutoff)
    timings["pairs"] = time.perf_counter() - t1
    baseline = None
    if model == "pmedian":
        dsh = gaps["dist_shared_m"].to_numpy(float)
        baseline = np.minimum(np.where(np.isfinite(dsh), dsh, np.inf), params.pmedian_cutoff_m)
    inst = CoverInstance.from_pairs(pi, pj, pd_, len(cands), len(gaps), params.radius_m,
                                    weight=gaps["population"].to_numpy(float), cost=cands["cost"].to_numpy(float),
                                    capacity=cands["capacity_per_week"].to_numpy(float), demand=demand,
                                    baseline_m=baseline)
    if model == "pmedian":
        on = gs.on_network
        inst.weight = np.where(on, inst.weight, 0.0)  # off-network gap villages are left out
    if model == "mclp":
        sol = solve_mclp(inst, k=k, budget=budget, capacitated=capacitated, time_limit_s=time_limit_s,
                         tie_break=tie_break, solver=solver)
    elif model == "lscp":
        sol = solve_lscp(inst, minimize=minimize, budget=budget, capacitated=capacitated,
                         time_limit_s=time_limit_s, tie_break=tie_break, solver=solver)
    else:
        sol = solve_pmedian(inst, k=k, budget=budget, capacitated=capacitated, time_limit_s=time_limit_s,
                            solver=solver)
    timings["build"] = sol.build_seconds
    timings["solve"] = sol.solve_seconds
    return _result(scenario, model, k, budget, capacitated, params, cov, cands, gaps, demand, inst, sol, gs,
                   timings)


def _replace(p: SitingParams, **kw) -> SitingParams:

    return replace(p, **kw)


def _result(scenario, model, k, budget, capacitated, params, cov, cands, gaps, demand, inst, sol, gs,
            timings) -> SitingResult:
    v = cov.villages
    radius = params.radius_m
    newly = (sol.assign >= 0) & (sol.assign_dist_m <= radius)
    served = sol.assign >= 0
    cands = cands.copy()
    cands["chosen"] = sol.open
    # sites
    chosen = np.flatnonzero(sol.open)
    pop = gaps["population"].to_numpy(float)
    rows = []
    for i in chosen:
        mine = served & (sol.assign == i)
        mine_new = mine & newly
        rows.append({
            **{c: cands.at[i, c] for c in ("site_id", "name", "operator", "kind", "tier", "lon", "lat")},
            "villages_newly_reached": int(mine_new.sum()),
            "population_newly_reached": int(pop[mine_new].sum()),
            "cost": float(cands.at[i, "cost"]),
            "capacity_per_week": (float(cands.at[i, "capacity_per_week"])
                                  if math.isfinite(cands.at[i, "capacity_per_week"]) else float("nan")),
            "load_per_week": float(demand[mine].sum()),
        })
    cols = SITES_COLUMNS + ["tier", "capacity_per_week", "load_per_week"]
    st = pd.DataFrame(rows, columns=cols)
    st = st.sort_values(["population_newly_reached", "site_id"], ascending=[False, True], kind="stable")

    sites = gpd.GeoDataFrame(st.reset_index(drop=True),
                             geometry=[Point(x, y) for x, y in zip(st["lon"], st["lat"])], crs="EPSG:4326")
    # assignment
    jj = np.flatnonzero(served)
    a = sol.assign[jj]
    asg = pd.DataFrame({
        "village_code": gaps["village_code"].to_numpy()[jj], "village_name": gaps["village_name"].to_numpy()[jj],
        "township_code": gaps["township_code"].to_numpy()[jj], "township_name": gaps["township_name"].to_numpy()[jj],
        "population": gaps["population"].to_numpy()[jj].astype(int), "parcels_per_week": demand[jj],
        "site_id": cands["site_id"].to_numpy()[a], "site_name": cands["name"].to_numpy()[a],
        "distance_m": sol.assign_dist_m[jj], "newly_reached": newly[jj],
    })
    asg = asg.sort_values(["site_id", "village_code"], kind="stable").reset_index(drop=True)
    asg_g = gpd.GeoDataFrame(asg, geometry=_lines_for(asg, cands, gaps), crs="EPSG:4326")
    # villages that stay gaps, with a reason
    coverable = inst.coverable()
    stay = ~newly
    reasons = np.where(~gs.on_network, "off the road network (access leg too long)",
                       np.where(~coverable, f"no candidate site within {radius:.0f} m",
                                np.where(served & ~newly, f"nearest chosen site beyond {radius:.0f} m",
                                         "not chosen (a better use of the K sites / budget)" if model != "lscp"
                                         else "no capacity left")))
    g_after = pd.DataFrame({
        "village_code": gaps["village_code"].to_numpy()[stay], "village_name": gaps["village_name"].to_numpy()[stay],
        "township_code": gaps["township_code"].to_numpy()[stay],
        "township_name": gaps["township_name"].to_numpy()[stay],
        "population": gaps["population"].to_numpy()[stay].astype(int),
        "missing_operators": gaps["missing_operators"].to_numpy()[stay], "reason": reasons[stay]})
    unreach = pd.DataFrame({"village_code": gaps["village_code"].to_numpy()[~coverable],
                            "village_name": gaps["village_name"].to_numpy()[~coverable],
                            "reason": reasons[~coverable]})
    before: dict[str, Any] = {"villages": int(len(v)), "villages_reached": int(v["reached"].sum()),
              "population": int(v["population"].sum()),
              "population_reached": int(v.loc[v["reached"], "population"].sum())}
    after = dict(before)
    after["villages_reached"] = before["villages_reached"] + int(newly.sum())
    after["population_reached"] = before["population_reached"] + int(pop[newly].sum())
    for d in (before, after):
        d["reach_rate"] = round(d["villages_reached"] / d["villages"], 4) if d["villages"] else 0.0
        d["population_reach_rate"] = round(d["population_reached"] / d["population"], 4) if d["population"] else 0.0
    return SitingResult(scenario, model, k, budget, capacitated, params, cov, cands, sites, asg_g, g_after, sol,
                        before, after, unreach, timings)


def _lines_for(asg: pd.DataFrame, cands: pd.DataFrame, gaps: pd.DataFrame):

    site_ll = dict(zip(cands["site_id"], zip(cands["lon"], cands["lat"])))
    vil_ll = dict(zip(gaps["village_code"], zip(gaps["lon"].astype(float), gaps["lat"].astype(float))))
    return [LineString([site_ll[s], vil_ll[c]]) for s, c in zip(asg["site_id"], asg["village_code"])]
