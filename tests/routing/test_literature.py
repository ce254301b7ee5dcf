"""Issue 22: Cordeau MDVRP/PVRP and 2E-CVRP readers, the independent checker on the published reference
solutions, and the county machinery's answers re-checked by that checker."""
from __future__ import annotations

import json
from pathlib import Path

import literature_check as C
import numpy as np
import pytest
from click.testing import CliRunner

from culture_logistics.cli.routing import solve_vrp
from culture_logistics.formats.base import BenchmarkFormatError, detect
from culture_logistics.formats.cordeau import code_days, read_cordeau
from culture_logistics.formats.twoe import read_breunig, read_perboli, read_twoe
from culture_logistics.routing import literature as L
from culture_logistics.routing.split_delivery import split_delivery_trucks

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
pytestmark = pytest.mark.skipif(not (BENCH / "mdvrp").is_dir(), reason="the shared bench folder is not here")
N22 = "Set2a_E-n22-k4-s10-14"


def _refs(kind):
    return sorted((BENCH / kind).glob("*.neo.res"))


# ------------------------------------------------------------------ readers
def test_detects_every_bench_file():
    assert {detect(p) for p in (BENCH / "mdvrp").glob("*.txt")} == {"cordeau-mdvrp"}
    assert {detect(p) for p in (BENCH / "pvrp").glob("*.txt")} == {"cordeau-pvrp"}
    assert {detect(p) for p in (BENCH / "2e").glob("*.perboli.dat")} == {"perboli"}
    assert {detect(p) for p in (BENCH / "2e").glob("Set*_E-n??-k?-s*[0-9].dat")} == {"breunig"}
    for vrp in sorted((BENCH / "cvrplib").glob("*.vrp"))[:1]:
        assert detect(vrp) is None      # CVRPLIB stays with the CVRPLIB / LKH-3 readers


def test_reads_cordeau_headers_and_combinations():
    md = read_cordeau(BENCH / "mdvrp" / "pr01.txt")
    assert (md.kind, md.n, md.num_depots, md.vehicles, md.max_duration[0], md.capacity[0]) == ("mdvrp", 48, 4, 1, 500, 200)
    assert md.depot_xy[0].tolist() == [4.163, 13.559] and md.service[0] == 2 and md.demand[0] == 12
    pv = read_cordeau(BENCH / "pvrp" / "pr01.txt")
    assert (pv.kind, pv.n, pv.t, pv.vehicles) == ("pvrp", 48, 4, 2)
    assert pv.combos[0] == [(1, 2, 3, 4)]                     # code 15, f = 4
    assert pv.combos[47] == [(4,), (3,), (2,), (1,)]          # codes 1 2 4 8: day 1 is the LEFTMOST bit
    assert code_days(10, 5) == (2, 4) and code_days(16, 5) == (1,)


def test_breunig_and_perboli_files_agree():
    a = read_breunig(BENCH / "2e" / f"{N22}.dat")
    b = read_perboli(BENCH / "2e" / f"{N22}.perboli.dat")
    assert (a.n, a.num_satellites, a.trucks, a.truck_capacity, a.freighters, a.freighter_capacity) == \
        (b.n, b.num_satellites, b.trucks, b.truck_capacity, b.freighters, b.freighter_capacity) == (21, 2, 3, 15000, 4, 6000)
    assert a.xy.tolist() == b.xy.tolist() and a.sat_xy.tolist() == b.sat_xy.tolist() == [[148, 232], [146, 208]]
    assert a.demand.tolist() == b.demand.tolist() and a.demand.sum() == 22500


@pytest.mark.parametrize("text, line, field", [
    ("2 4 50 4\n0 80\n", 2, "lines"),
    ("2 4 20000 4\n", 1, "n"),
    ("3 4 5 1\n", 1, "type"),
    ("2 1 1 1\n0 80\n1 1 1 0 x 1 1 1\n2 0 0 0 0 0 0\n", 3, "q"),
    ("1 1 1 2\n0 80\n0 80\n0 0 0 0 0 0 0\n1 1 1 0 5 1 1 4\n", 5, "combination"),
])
def test_cordeau_errors_name_line_and_field(tmp_path, text, line, field):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(BenchmarkFormatError) as e:
        read_cordeau(p)
    assert (e.value.line, e.value.field) == (line, field) and str(p) in str(e.value)


def test_twoe_errors(tmp_path):
    p = tmp_path / "bad.dat"
    p.write_text("!c\n3,15000,1,0\n!c\n4,4,6000,1,0\n145,215 148,232\n151,264,7000\n")
    with pytest.raises(BenchmarkFormatError, match="exceeds the city freighter capacity") as e:
        read_twoe(p)
    assert e.value.line == 6
    q = tmp_path / "big.dat"
    q.write_text("TYPE : 2ECVRP\nSATELLITES : 2\nCUSTOMERS : 99999\n")
    with pytest.raises(BenchmarkFormatError, match="99999 customers") as e:
        read_twoe(q)
    assert (e.value.line, e.value.field) == (3, "customers")


# ------------------------------------------------------------------ the checker on the reference solutions
@pytest.mark.parametrize("res", _refs("mdvrp") + _refs("pvrp"), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_neo_reference_solutions_rescore_and_are_feasible(res):
    inst = res.with_name(res.name.replace(".neo.res", ".txt"))
    ans = C.neo_reference(res, inst)
    if res.parent.name == "pvrp" and res.stem == "p01.neo":
        # customer 51 sits on the depot with q = Q on day 1: NEO leaves it out; it costs 0 and uses a 3rd vehicle
        ans["routes"].append({"day": 1, "stops": [51]})
        ans["visit_days"]["51"] = [1]
    check = C.check_mdvrp if res.parent.name == "mdvrp" else C.check_pvrp
    cost, problems = check(inst, ans)
    assert problems == [] and abs(cost - ans["cost"]) <= 0.01
    ours, ours_problems = L.validate(read_cordeau(inst), ans)  # the product's validation agrees
    assert ours_problems == [] and abs(ours - cost) < 1e-9


@pytest.mark.parametrize("w", sorted((BENCH / "2e").glob("*.witness.json")), ids=lambda p: p.name.split(".")[0])
def test_twoe_witnesses_rescore_to_the_bks(w):
    ans = C.witness_reference(w)
    cost, problems = C.check_2e(w.with_name(w.name.replace(".witness.json", ".dat")), ans)
    assert problems == [] and abs(cost - ans["cost"]) <= 0.01
    ours, ours_problems = L.validate(read_breunig(w.with_name(w.name.replace(".witness.json", ".dat"))), ans)
    assert ours_problems == [] and abs(ours - cost) < 1e-9


def test_cabrera_solution_rescores_to_the_optimum():
    ans = C.cabrera_reference(BENCH / "2e" / f"{N22}.cabrera_solution.txt", 2)
    cost, problems = C.check_2e(BENCH / "2e" / f"{N22}.dat", ans)
    assert problems == [] and abs(cost - 371.4985341947156) < 1e-9


def test_infeasible_answers_are_rejected_with_the_reason():
    inst = BENCH / "mdvrp" / "p01.txt"
    ans = C.neo_reference(BENCH / "mdvrp" / "p01.neo.res", inst)
    ans["routes"][0]["stops"] += ans["routes"][1]["stops"]   # 71 + 79 > Q = 80
    del ans["routes"][1]
    _, problems = C.check_mdvrp(inst, ans)
    assert problems == ["route 0: load 150 exceeds capacity 80"]
    assert L.validate(read_cordeau(inst), ans)[1] == ["route 1 (depot 51): load 150 exceeds capacity 80"]
    pinst = BENCH / "pvrp" / "p02.txt"
    pans = C.neo_reference(BENCH / "pvrp" / "p02.neo.res", pinst)
    c = next(c for c, d in pans["visit_days"].items() if len(d) == 2)
    for r in pans["routes"]:                                  # drop one of its two visits
        if int(c) in r["stops"]:
            r["stops"].remove(int(c))
            break
    _, problems = C.check_pvrp(pinst, pans)
    assert any(f"customer {c} visited on days" in p for p in problems)
    assert any(f"customer {c} visited on days" in p for p in L.validate(read_cordeau(pinst), pans)[1])
    w = C.witness_reference(BENCH / "2e" / f"{N22}.witness.json")
    w["routes"][0]["unload"] = {"1": 10000.0}                # 1000 short at satellite 1
    _, problems = C.check_2e(BENCH / "2e" / f"{N22}.dat", w)
    assert problems == ["satellite 1: trucks unload 10000, its city freighters deliver 11000"]
    assert L.validate(read_breunig(BENCH / "2e" / f"{N22}.dat"), w)[1] == \
        ["satellite 1: trucks unload 10000, its city freighters carry 11000"]


def test_split_delivery_first_echelon_splits_a_station_over_two_trucks():
    # stations 1 and 2 at 10 and 20 from the depot on a line; 1.5 truckloads at station 2
    dist = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]
    trucks = split_delivery_trucks(np.array(dist, float), [0.0, 150.0], 100.0, max_vehicles=2)
    assert sorted(sum(u.values()) for _, u in trucks) == [50, 100] and all(s == [2] for s, _ in trucks)
    trucks = split_delivery_trucks(np.array(dist, float), [50.0, 150.0], 100.0, max_vehicles=2)
    assert sum(sum(u.values()) for _, u in trucks) == 200 and len(trucks) == 2  # 2 x 40 km, the optimum


# ------------------------------------------------------------------ solved by the county machinery
@pytest.mark.slow
def test_mdvrp_p01_feasible_within_one_percent():
    ans = L.solve_mdvrp(read_cordeau(BENCH / "mdvrp" / "p01.txt"), time_limit_s=4.0, seed=0)
    cost, problems = C.check_mdvrp(BENCH / "mdvrp" / "p01.txt", ans)
    assert problems == [] and ans["feasible"] and abs(cost - ans["cost"]) < 1e-6
    assert cost <= 576.87 * 1.01


@pytest.mark.slow
def test_twoe_n22_cli_json_feasible_within_half_a_percent():
    r = CliRunner().invoke(solve_vrp, [str(BENCH / "2e" / f"{N22}.perboli.dat"), "--time-limit", "4", "--json"])
    assert r.exit_code == 0, r.output
    ans = json.loads(r.output)
    assert set(ans) >= {"cost", "feasible", "routes"} and ans["feasible"]
    assert {r["echelon"] for r in ans["routes"]} == {1, 2}
    cost, problems = C.check_2e(BENCH / "2e" / f"{N22}.dat", ans)
    assert problems == [] and abs(cost - ans["cost"]) < 1e-6 and cost <= 371.50 * 1.005


@pytest.mark.slow
def test_pvrp_p14_feasible_and_checked():
    ans = L.solve_pvrp(read_cordeau(BENCH / "pvrp" / "p14.txt"), time_limit_s=4.0, seed=0)
    cost, problems = C.check_pvrp(BENCH / "pvrp" / "p14.txt", ans)
    assert problems == [] and ans["feasible"] and abs(cost - ans["cost"]) < 1e-6
    assert cost <= 954.81 * 1.10   # measured 2026-12-07 at this budget; the target is 2 % at 60 s
