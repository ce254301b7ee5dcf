"""Siting models against optima found by enumeration (itertools over candidate subsets).

The county is the conftest's straight east–west road: vertex v at lon 119.30 + 0.01·v, lat 36.0,
consecutive vertices ≈ 901.6 m apart (geodesic).  With radius 3000 m a site at vertex a reaches a village at
vertex b exactly when |a − b| ≤ 3 (2,702 m ≤ 3,000 m < 3,602 m), which is how the enumeration
below decides reach — independently of the package's network code.
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import os
import subprocess
import sys

import pytest
from pyproj import Geod

from conftest import LAT, LON0, ROOT, STEP, write_scenario
from culture_logistics.errors import CultureLogisticsError, InfeasibleError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.siting.instance import CoverInstance
from culture_logistics.siting.models import solve_mclp
from culture_logistics.siting.solve import (
    ASSIGNMENT_COLUMNS,
    SITES_COLUMNS,
    solve_siting,
)

STEP_M = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]  # road edges are geodesic lengths: ≈ 901.6 m
REACH = 3                # vertices within 3000 m
# village codes 370782001001…013 and 099 are made up past the real list's end: allow them
TOML = "[validation]\nallow_unknown_codes = true\n\n[siting]\n"
CONVERT, NEW = 20000, 80000

# (vertex, population); a village's code ends in its index
VILLAGES = [(0, 1200), (1, 800), (3, 2500), (5, 600), (6, 3100), (8, 1500), (9, 700), (11, 4000), (13, 900),
            (15, 2200), (17, 1800), (18, 500), (20, 3000)]
# id, operator, vertex, capacity per day
FACILITIES = [("HUB", "shared", 12, ""), ("P1", "postal", 2, "20"), ("S1", "supply_coop", 9, "10"),
              ("C1", "courier", 19, "5")]


def lon(v: int) -> float:
    return round(LON0 + STEP * v, 6)


def village_rows(extra: list[str] = ()) -> list[str]:
    rows = [f"3707820010{k + 1:02d},村{k + 1},370782001,{lon(v)},{LAT},{p}" for k, (v, p) in enumerate(VILLAGES)]
    return rows + list(extra)


def facility_rows() -> list[str]:
    return [f"{i},{i}站,{op},{'county' if op == 'shared' else 'village'},{lon(v)},{LAT},,{cap}"
            for i, op, v, cap in FACILITIES]


@pytest.fixture
def line_scn(tmp_path):
    path = write_scenario(tmp_path / "line", villages=village_rows(), facilities=facility_rows(),
                          toml_extra=TOML + "convert_cost = 20000\nnew_cost = 80000\n")
    return load_scenario(path)


# ------------------------------------------------------------------ the hand model


def hand_model():
    """Gap villages and candidates as (vertex, population) / (site_id, vertex, cost), by hand."""
    carriers = {op: [v for _, o, v, _ in FACILITIES if o == op] for op in ("postal", "supply_coop", "courier")}
    shared = [v for _, o, v, _ in FACILITIES if o == "shared"]

    def reached(v):
        return all(any(abs(v - f) <= REACH for f in fs + shared) for fs in carriers.values())

    gaps = [(k, v, p) for k, (v, p) in enumerate(VILLAGES) if not reached(v)]
    cands = [(i, v, CONVERT) for i, o, v, _ in FACILITIES if o != "shared"]
    cands += [(f"3707820010{k + 1:02d}", v, NEW) for k, (v, _) in enumerate(VILLAGES)]
    return gaps, cands, shared


def covered(subset, gaps):
    return [g for g in gaps if any(abs(g[1] - c[1]) <= REACH for c in subset)]


def wdist(subset, gaps):
    """Population × distance (m) from each covered gap village to its nearest chosen site."""
    return sum(p * STEP_M * min(abs(v - c[1]) for c in subset if abs(v - c[1]) <= REACH)
               for _, v, p in covered(subset, gaps))


def test_hand_model_has_the_expected_gaps(line_scn):
    gaps, cands, _ = hand_model()
    # only villages within 3 vertices of the shared hub (9..15) are reached
    assert [v for _, v, _ in gaps] == [0, 1, 3, 5, 6, 8, 17, 18, 20]
    res = solve_siting(line_scn, "mclp", k=1, time_limit_s=20)
    assert res.before["villages_reached"] == len(VILLAGES) - len(gaps) == 4
    assert len(cands) == 16


@pytest.mark.parametrize("k", [1, 2, 3])
def test_mclp_matches_enumeration(line_scn, k):
    gaps, cands, _ = hand_model()
    best = max(sum(p for _, _, p in covered(s, gaps)) for n in range(1, k + 1) for s in itertools.combinations(cands, n))
    ties = [s for n in range(1, k + 1) for s in itertools.combinations(cands, n)
            if sum(p for _, _, p in covered(s, gaps)) == best]
    best_d = min(wdist(s, gaps) for s in ties)
    res = solve_siting(line_scn, "mclp", k=k, time_limit_s=20)
    s = res.summary()
    assert s["optimal"] is True and s["gap"] == 0.0
    assert s["reproducible"] is True and s["stopped_by_time_limit"] is False
    assert s["objective"] == best
    assert s["after"]["population_reached"] - s["before"]["population_reached"] == best
    assert res.sites["population_newly_reached"].sum() == best
    assert s["tie_break"]["weighted_distance_person_m"] == pytest.approx(best_d, rel=1e-6)
    assert len(res.sites) <= k


def test_mclp_k1_by_hand(line_scn):
    # K = 1: a new point at village 3 (vertex 3) reaches the gap villages at vertices 0, 1, 3, 5, 6:
    # 1200 + 800 + 2500 + 600 + 3100 = 8,200 people (vertex 8 is 5 vertices away); no other site does as well
    res = solve_siting(line_scn, "mclp", k=1, time_limit_s=20)
    assert res.summary()["objective"] == 8200
    assert list(res.sites["site_id"]) == ["370782001003"]
    assert sorted(res.assignment["village_code"]) == ["370782001001", "370782001002", "370782001003",
                                                       "370782001004", "370782001005"]


def test_mclp_budget_matches_enumeration(line_scn):
    gaps, cands, _ = hand_model()
    budget = 100000  # one new point plus one conversion, or up to five conversions
    feas = [s for n in range(1, 6) for s in itertools.combinations(cands, n) if sum(c[2] for c in s) <= budget]
    best = max(sum(p for _, _, p in covered(s, gaps)) for s in feas)
    res = solve_siting(line_scn, "mclp", budget=budget, time_limit_s=20)
    assert res.summary()["optimal"] and res.summary()["objective"] == best
    assert res.sites["cost"].sum() <= budget


@pytest.mark.parametrize("minimize", ["count", "cost"])
def test_lscp_matches_enumeration(line_scn, minimize):
    gaps, cands, _ = hand_model()
    sets = [s for n in range(1, 6) for s in itertools.combinations(cands, n) if len(covered(s, gaps)) == len(gaps)]
    key = (lambda s: (len(s), sum(c[2] for c in s))) if minimize == "count" else (lambda s: sum(c[2] for c in s))
    best = min(key(s) for s in sets)
    best_d = min(wdist(s, gaps) for s in sets if key(s) == best)
    res = solve_siting(line_scn, "lscp", minimize=minimize, time_limit_s=20)
    s = res.summary()
    assert s["optimal"]
    if minimize == "count":
        assert (s["objective"], s["total_cost"]) == best
    else:
        assert s["objective"] == s["total_cost"] == best
    assert s["after"]["villages_reached"] == len(VILLAGES)
    assert s["tie_break"]["weighted_distance_person_m"] == pytest.approx(best_d, rel=1e-6)


def test_pmedian_matches_enumeration(line_scn):
    gaps, cands, shared = hand_model()
    cutoff = 9000.0  # default 3 × radius

    def total(subset):
        out = 0.0
        for _, v, p in gaps:
            d = min([abs(v - f) * STEP_M for f in shared] + [abs(v - c[1]) * STEP_M for c in subset] + [cutoff])
            out += p * d
        return out

    k = 2
    best = min(total(s) for s in itertools.combinations(cands, k))
    res = solve_siting(line_scn, "pmedian", k=k, time_limit_s=20)
    assert res.summary()["optimal"]
    assert res.summary()["objective"] == pytest.approx(best, rel=1e-6)


def test_capacitated_mclp_k1_matches_enumeration_and_respects_capacity(tmp_path):
    # new points take 40 parcels/week; a village sends ceil(0.010·pop) + ceil(0.002·pop) parcels a week
    path = write_scenario(tmp_path / "cap", villages=village_rows(), facilities=facility_rows(),
                          toml_extra=TOML + "new_capacity_per_week = 40\ndelivery_days_per_week = 6\n")
    scn = load_scenario(path)
    gaps, cands, _ = hand_model()
    cap = {"P1": 20 * 6, "S1": 10 * 6, "C1": 5 * 6}
    demand = {k: math.ceil(p * 0.010) + math.ceil(p * 0.002) for k, _, p in gaps}
    best = 0
    for c in cands:
        near = [g for g in gaps if abs(g[1] - c[1]) <= REACH]
        q = cap.get(c[0], 40)
        for n in range(len(near) + 1):
            for sub in itertools.combinations(near, n):
                if sum(demand[g[0]] for g in sub) <= q:
                    best = max(best, sum(g[2] for g in sub))
    res = solve_siting(scn, "mclp", k=1, capacitated=True, time_limit_s=20)
    assert res.summary()["optimal"] and res.summary()["objective"] == best
    assert best < 7700  # the capacity binds
    for r in res.sites.itertuples():
        assert r.load_per_week <= r.capacity_per_week
    # K = 3: loads still within every site's capacity
    res3 = solve_siting(scn, "mclp", k=3, capacitated=True, time_limit_s=20)
    assert res3.summary()["optimal"]
    loads = res3.assignment.groupby("site_id")["parcels_per_week"].sum()
    caps = dict(zip(res3.sites["site_id"], res3.sites["capacity_per_week"]))
    assert all(loads[s] <= caps[s] for s in loads.index)


def test_capacitated_lscp_assigns_every_village_within_capacity(tmp_path):
    path = write_scenario(tmp_path / "cap", villages=village_rows(), facilities=facility_rows(),
                          toml_extra=TOML + "new_capacity_per_week = 40\n")
    res = solve_siting(load_scenario(path), "lscp", capacitated=True, time_limit_s=20)
    assert res.summary()["optimal"]
    assert res.summary()["after"]["villages_reached"] == len(VILLAGES)
    loads = res.assignment.groupby("site_id")["parcels_per_week"].sum()
    caps = dict(zip(res.sites["site_id"], res.sites["capacity_per_week"]))
    assert all(loads[s] <= caps[s] for s in loads.index)
    unc = solve_siting(load_scenario(path), "lscp", time_limit_s=20)
    assert res.summary()["objective"] >= unc.summary()["objective"]


def test_unreachable_village_is_reported_not_dropped(tmp_path):
    far = "370782001099,远村,370782001,119.35,36.05,999"  # 5.5 km north of the only road: off the network
    path = write_scenario(tmp_path / "far", villages=village_rows([far]), facilities=facility_rows(), toml_extra=TOML)
    res = solve_siting(load_scenario(path), "lscp", time_limit_s=20)
    s = res.summary()
    assert s["gap_villages_no_candidate"] == 1 and s["gap_villages_no_candidate_codes"] == ["370782001099"]
    assert s["after"]["villages_reached"] == len(VILLAGES)  # every other village reached
    assert "370782001099" in set(res.gaps_after["village_code"])


def test_k_larger_than_candidates_is_a_clear_error(line_scn):
    with pytest.raises(CultureLogisticsError, match=r"K = 17 is larger than the number of candidate sites \(16\)"):
        solve_siting(line_scn, "mclp", k=17)


def test_budget_that_buys_nothing_is_a_clear_error(line_scn):
    with pytest.raises(InfeasibleError, match="buys no site: the cheapest candidate costs 20,000 CNY"):
        solve_siting(line_scn, "mclp", budget=19999)


def test_lscp_budget_too_small_says_what_the_cover_costs(line_scn):
    gaps, cands, _ = hand_model()
    cheapest = min(sum(c[2] for c in s) for n in range(1, 6) for s in itertools.combinations(cands, n)
                   if len(covered(s, gaps)) == len(gaps))
    with pytest.raises(InfeasibleError, match=f"costs at least {cheapest:,.0f} CNY"):
        solve_siting(line_scn, "lscp", budget=cheapest - 1)


def test_lscp_rejects_k(line_scn):
    with pytest.raises(CultureLogisticsError, match="lscp finds the number of sites itself"):
        solve_siting(line_scn, "lscp", k=2)


def test_cover_instance_from_cost_matrix():
    # 3 villages × 2 candidates; radius 10: candidate 0 reaches villages 0, 1; candidate 1 reaches 1, 2
    inst = CoverInstance.from_cost_matrix([[1, 50], [5, 5], [50, 2]], 10, weight=[10, 1, 20])
    sol = solve_mclp(inst, k=1, time_limit_s=10)
    assert sol.optimal and sol.objective == 21 and list(sol.open) == [False, True]


def _run_site(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    code = "from culture_logistics.cli.siting import site; site()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.slow
def test_cli_writes_the_files_with_exact_columns(tmp_path):
    path = write_scenario(tmp_path / "line", villages=village_rows(), facilities=facility_rows(), toml_extra=TOML)
    out = tmp_path / "out"
    p = _run_site(path, "--model", "mclp", "--k", "2", "--time-limit", "20", "--out", out)
    assert p.returncode == 0, p.stderr
    with open(out / "sites.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == SITES_COLUMNS
    assert {r[3] for r in rows[1:]} <= {"existing", "new"}
    with open(out / "assignment.csv", encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == ASSIGNMENT_COLUMNS
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("objective", "bound", "optimal", "solve_seconds", "model", "k", "budget"):
        assert key in s
    assert s["optimal"] is True
    assert s["before"]["villages_reached"] == 4
    assert s["after"]["population_reached"] - s["before"]["population_reached"] == s["objective"]
    page = (out / "siting_map.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and "siting:site" in page


@pytest.mark.slow
def test_cli_user_mistake_exits_2_and_writes_nothing(tmp_path):
    path = write_scenario(tmp_path / "line", villages=village_rows(), facilities=facility_rows(), toml_extra=TOML)
    out = tmp_path / "out"
    p = _run_site(path, "--model", "pmedian", "--k", "99", "--out", out)
    assert p.returncode == 2
    assert "K = 99 is larger than the number of candidate sites" in p.stderr
    assert "Traceback" not in p.stderr
    assert not out.exists()
