"""Tests of the CVRPLIB reader / checker / solver front-end (culture_logistics.cvrplib)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import CpuClock, work_past_deadline_s
from culture_logistics.formats.cvrplib import CVRPLibFormatError, read_solution, read_vrp
from culture_logistics.routing.cvrplib import CVRPSolutionError, check_cvrp_solution, solve_vrp_file

SHARED = Path(__file__).resolve().parents[3] / "shared" / "bench" / "cvrplib"

# Fallback copy of A-n32-k5 (Augerat et al. 1995, public CVRPLIB instance, optimum 784)
# used when the shared benchmark folder is not next to the repository.
A_N32_K5_VRP = """NAME : A-n32-k5
COMMENT : (Augerat et al, No of trucks: 5, Optimal value: 784)
TYPE : CVRP
DIMENSION : 32
EDGE_WEIGHT_TYPE : EUC_2D 
CAPACITY : 100
NODE_COORD_SECTION 
 1 82 76
 2 96 44
 3 50 5
 4 49 8
 5 13 7
 6 29 89
 7 58 30
 8 84 39
 9 14 24
 10 2 39
 11 3 82
 12 5 10
 13 98 52
 14 84 25
 15 61 59
 16 1 65
 17 88 51
 18 91 2
 19 19 32
 20 93 3
 21 50 93
 22 98 14
 23 5 42
 24 42 9
 25 61 62
 26 9 97
 27 80 55
 28 57 69
 29 23 15
 30 20 70
 31 85 60
 32 98 5
DEMAND_SECTION 
1 0 
2 19 
3 21 
4 6 
5 19 
6 7 
7 12 
8 16 
9 6 
10 16 
11 8 
12 14 
13 21 
14 16 
15 3 
16 22 
17 18 
18 19 
19 1 
20 24 
21 8 
22 12 
23 4 
24 8 
25 24 
26 24 
27 2 
28 20 
29 15 
30 2 
31 14 
32 9 
DEPOT_SECTION 
 1  
 -1  
EOF 
"""
A_N32_K5_SOL = """Route #1: 21 31 19 17 13 7 26
Route #2: 12 1 16 30
Route #3: 27 24
Route #4: 29 18 8 9 22 15 10 25 5 20
Route #5: 14 28 11 4 23 3 2 6
Cost 784
"""


@pytest.fixture(scope="module")
def a32(tmp_path_factory) -> tuple[Path, Path]:
    if (SHARED / "A-n32-k5.vrp").exists():
        return SHARED / "A-n32-k5.vrp", SHARED / "A-n32-k5.sol"
    d = tmp_path_factory.mktemp("cvrplib")
    (d / "A-n32-k5.vrp").write_text(A_N32_K5_VRP)
    (d / "A-n32-k5.sol").write_text(A_N32_K5_SOL)
    return d / "A-n32-k5.vrp", d / "A-n32-k5.sol"


def test_reader_and_known_optimum(a32):
    vrp, sol = a32
    inst = read_vrp(vrp)
    assert inst.name == "A-n32-k5"
    assert inst.capacity == 100
    assert inst.num_customers == 31
    assert inst.demands[0] == 0 and inst.demands.sum() == 410
    assert inst.distance[0, 1] == 35  # nint(sqrt((82-96)^2 + (76-44)^2)) = nint(34.93)
    known = read_solution(sol)
    assert known.cost == 784 and len(known.routes) == 5
    assert check_cvrp_solution(inst, known.routes) == 784


ENGINES = ["ortools"] + (["pyvrp"] if importlib.util.find_spec("pyvrp") else [])
# Gap allowed at 2 s.  OR-Tools (tuned ILS) ends between 784 and 827 (5.5 %) depending on
# the seed on this instance; PyVRP finds 784 with every seed tried.
MAX_GAP = {"pyvrp": 0.03, "ortools": 0.06}


@pytest.mark.slow
@pytest.mark.parametrize("engine", [None] + ENGINES)
def test_solve_a32_close_to_optimum(a32, engine):
    vrp, _ = a32
    with CpuClock() as clock:
        res = solve_vrp_file(vrp, time_limit_s=2.0, seed=0, engine=engine)
    assert res["engine"] == (engine or ENGINES[-1])
    assert check_cvrp_solution(vrp, res["routes"]) == res["cost"]
    assert 784 <= res["cost"] <= 784 * (1 + MAX_GAP[res["engine"]])
    assert sorted(c for r in res["routes"] for c in r) == list(range(1, 32))
    # it searches to its limit and keeps it: at most 0.1 s of work past it (conftest.work_past_deadline_s)
    assert work_past_deadline_s(res["seconds"] - 2.0, clock) <= 0.1, (res["seconds"], clock.share)


def test_checker_rejects_infeasible_solutions(a32):
    vrp, sol = a32
    inst = read_vrp(vrp)
    routes = read_solution(sol).routes
    with pytest.raises(CVRPSolutionError, match="visited twice"):
        check_cvrp_solution(inst, routes + [[routes[0][0]]])
    with pytest.raises(CVRPSolutionError, match="not visited"):
        check_cvrp_solution(inst, [r for r in routes[1:]])
    with pytest.raises(CVRPSolutionError, match="exceeds capacity"):
        check_cvrp_solution(inst, [routes[0] + routes[1]] + routes[2:])
    with pytest.raises(CVRPSolutionError, match="unknown customer"):
        check_cvrp_solution(inst, routes + [[32]])


@pytest.mark.parametrize(
    "mutate, line, message",
    [
        (lambda t: t.replace(" 7 58 30", " 7 58 abc"), 14, "not numbers"),
        (lambda t: t.replace("CAPACITY : 100", "CAPACITY : lots"), 6, "CAPACITY"),
        (lambda t: t.replace("EUC_2D", "GEO"), 5, "EDGE_WEIGHT_TYPE"),
        (lambda t: t.replace("\n5 19 \n", "\n5 190 \n"), 45, "exceeds CAPACITY"),
        (lambda t: t.replace("\n 12 5 10\n", "\n 12 5 10 7\n"), 19, "NODE_COORD_SECTION"),
    ],
)
def test_malformed_file_error_names_file_and_line(a32, tmp_path, mutate, line, message):
    text = Path(a32[0]).read_text()
    bad = mutate(text)
    assert bad != text
    path = tmp_path / "bad.vrp"
    path.write_text(bad)
    with pytest.raises(CVRPLibFormatError) as info:
        read_vrp(path)
    err = info.value
    assert err.path == str(path) and err.line == line
    assert f"{path}:{line}:" in str(err)
    assert message in str(err)


def test_missing_section_is_reported(a32, tmp_path):
    text = Path(a32[0]).read_text()
    path = tmp_path / "nodepot.vrp"
    path.write_text(text.split("DEPOT_SECTION")[0])
    with pytest.raises(CVRPLibFormatError, match="DEPOT_SECTION") as info:
        read_vrp(path)
    assert str(path) in str(info.value)


def test_malformed_solution_file(tmp_path):
    path = tmp_path / "x.sol"
    path.write_text("Route #1: 1 2 x\nCost 10\n")
    with pytest.raises(CVRPLibFormatError) as info:
        read_solution(path)
    assert info.value.line == 1 and str(path) in str(info.value)
