"""LKH-3 VRPTW/VRPSPD files: reader conventions, the independent checker, and solve-vrp on them.

The best-known costs of ../shared/bench (bks.csv) are lower bounds for any honest answer: a cost
below one would mean the costing convention is wrong.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, run_cli
from culture_logistics.cli.routing import solve_vrp
from culture_logistics.formats.lkh import read_lkh, sniff_type
from culture_logistics.formats.tsplib import CVRPLibFormatError
from culture_logistics.routing.cvrplib import CVRPSolutionError
from culture_logistics.routing.lkh import check_lkh_solution, instance_to_model

BENCH = ROOT / "tests" / "data" / "bench"  # copies of ../shared/bench/vrptw and vrpspd (tests/data/README.md)
VRPTW = BENCH / "vrptw"
VRPSPD = BENCH / "vrpspd"
needs_bench = pytest.mark.skipif(not VRPTW.is_dir() or not VRPSPD.is_dir(), reason="tests/data/bench not present")


def bks(folder: Path, name: str) -> int:
    with open(folder / "bks.csv", encoding="utf-8") as fh:
        return {r["file"]: int(r["bks"]) for r in csv.DictReader(fh)}[name]


TINY_SPD = """NAME : tiny
TYPE : VRPSPD
DIMENSION : 4
VEHICLES : 2
CAPACITY : 10
DISTANCE : 999999
SCALE : 1
EDGE_WEIGHT_TYPE : EXACT_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 -3 -4
PICKUP_AND_DELIVERY_SECTION
1 0 0 1000 0 0 0
2 0 0 1000 0 8 2
3 0 0 1000 0 0 8
4 0 0 1000 0 5 5
DEPOT_SECTION
1
-1
EOF
"""


def tiny(tmp_path, text=TINY_SPD) -> Path:
    p = tmp_path / "tiny.vrpspd"
    p.write_text(text, encoding="utf-8")
    return p


@needs_bench
def test_solomon_conventions_by_hand():
    inst = read_lkh(VRPTW / "C101.100.10.vrptw")
    assert (inst.type, inst.num_customers, inst.vehicles, inst.capacity) == ("CVRPTW", 100, 10, 200)
    # node 1 (40, 50) to node 2 (45, 68): floor(10 × √349 = 186.8…) = 186
    assert inst.distance[0, 1] == math.floor(10 * math.sqrt(349)) == 186
    # service 90 and the depot's window [0, 1236] in tenths
    assert inst.service[1] == 900 and inst.service[0] == 0
    assert (inst.early[0], inst.late[0]) == (0, 12360)
    assert (inst.early[1], inst.late[1]) == (9120, 9670)
    assert inst.has_time and sniff_type(VRPTW / "C101.100.10.vrptw") == "CVRPTW"


@needs_bench
def test_vrpspd_conventions_by_hand():
    inst = read_lkh(VRPSPD / "r101.vrpspd")
    # node 1 (35, 35) to node 2 (41, 49): nint(1000 × √232 = 15231.5…) = 15232
    assert inst.distance[0, 1] == round(1000 * math.sqrt(232)) == 15232
    # "2 0 0 10000000 0 41 10": pickup 41, delivery 10
    assert (inst.pickup[1], inst.delivery[1]) == (41, 10)
    assert not inst.has_time and inst.max_distance is None and inst.vehicles == 12
    con = read_lkh(VRPSPD / "CON3-1.vrpspd")  # explicit full matrix, DISTANCE 0 = no limit
    assert con.max_distance is None and con.distance.shape == (51, 51) and con.distance[0, 1] > 0


def test_exact_2d_without_scale_means_scale_1000_as_in_lkh3(tmp_path):
    # LKH-3's ReadProblem.c: "EXACT_2D: Weights are EUC_2D distances (SCALE = 1000 as default)";
    # its Homberger VRPTW files have no SCALE line and their tours cost in thousandths
    inst = read_lkh(tiny(tmp_path, TINY_SPD.replace("SCALE : 1\n", "").replace("0 0 1000 0", "0 0 1 0")))
    assert inst.scale == 1000
    # node 1 (0, 0) to node 3 (6, 8): 1000 × 10; node 2 (3, 4) to node 4 (-3, -4): 1000 × 10
    assert inst.distance[0, 2] == 10_000 and inst.distance[1, 3] == 10_000
    assert inst.late[1] == 1000  # the window [0, 1] in file units, × 1000
    # EUC_2D keeps SCALE 1: nint(5) = 5
    euc = read_lkh(tiny(tmp_path, TINY_SPD.replace("SCALE : 1\n", "").replace("EXACT_2D", "EUC_2D")))
    assert euc.scale == 1 and euc.distance[0, 1] == 5


def test_distance_limit_is_scaled_like_the_distances(tmp_path):
    text = TINY_SPD.replace("DISTANCE : 999999", "DISTANCE : 12").replace("SCALE : 1\n", "SCALE : 10\n")
    inst = read_lkh(tiny(tmp_path, text))
    assert inst.max_distance == 120 and inst.distance[0, 1] == 50
    # route [2, 1]: 100 out, 50 across, 50 back = 200 > 120 (unscaled 12 would have read as 12)
    with pytest.raises(CVRPSolutionError, match="length 200 exceeds DISTANCE 120"):
        check_lkh_solution(inst, [[2, 1], [3]])
    assert instance_to_model(inst).vehicle_types[0].max_shift_s == 120


def test_checker_follows_the_load_at_every_point(tmp_path):
    inst = read_lkh(tiny(tmp_path))
    # customer 1 (node 2, 5 from the depot): delivers 2, picks up 8; customer 2 (node 3, 10 away): delivers 8.
    # [2, 1]: leave with 10; after 2: 2; after 1 (−2 + 8): 8 → feasible, length 10 + 5 + 5 = 20
    assert check_lkh_solution(inst, [[2, 1], [3]]) == 20 + 10
    # [1, 2]: after 1, 10 − 2 + 8 = 16 > 10
    with pytest.raises(CVRPSolutionError, match="after customer 1"):
        check_lkh_solution(inst, [[1, 2], [3]])
    with pytest.raises(CVRPSolutionError, match="not visited"):
        check_lkh_solution(inst, [[2, 1]])
    with pytest.raises(CVRPSolutionError, match="vehicles"):
        check_lkh_solution(inst, [[2], [1], [3]])


def test_checker_follows_the_time_windows(tmp_path):
    text = TINY_SPD.replace("TYPE : VRPSPD", "TYPE : CVRPTW").split("PICKUP_AND_DELIVERY_SECTION")[0]
    text += ("SERVICE_TIME : 2\nDEMAND_SECTION\n1 0\n2 3\n3 3\n4 3\nTIME_WINDOW_SECTION\n1 0 100\n2 0 6\n"
             "3 0 100\n4 20 30\nDEPOT_SECTION\n1\n-1\nEOF\n")
    inst = read_lkh(tiny(tmp_path, text))
    # 1 at 5 (serve to 7), 2 at 12 (to 14), 3 at 14 + 15 = 29 in [20, 30], back at 31 + 5
    assert check_lkh_solution(inst, [[1, 2, 3]]) == 5 + 5 + 15 + 5
    # customer 2 first: arrive 10, serve until 12, customer 1 at 17 > 6
    with pytest.raises(CVRPSolutionError, match="customer 1 starts at 17"):
        check_lkh_solution(inst, [[2, 1, 3]])
    model = instance_to_model(inst)
    assert model.stops[2].tw_early == 20 and model.stops[0].service_s == 2


def test_solver_answer_on_the_tiny_instance_is_checked_and_optimal(tmp_path):
    res = CliRunner().invoke(solve_vrp, [str(tiny(tmp_path)), "--time-limit", "2", "--iterations", "300", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # optimum by hand: [2, 1] + [3] costs 30; all three in one route cannot fit (15 parcels at departure)
    assert out["cost"] == 30
    assert sorted(map(sorted, out["routes"])) == [[1, 2], [3]]
    assert out["reproducible"] is True


@pytest.mark.parametrize("mutate, line, message", [
    (lambda t: t.replace("2 3 4", "2 3 x"), 11, "not numbers"),
    (lambda t: t.replace("3 0 0 1000 0 0 8", "3 0 0 1000 0 0"), 17, "expects 7 numbers"),
    (lambda t: t.replace("TYPE : VRPSPD", "TYPE : PDTSP"), 2, "unsupported TYPE"),
    (lambda t: t.replace("3 0 0 1000 0 0 8", "3 0 0 1000 0 0 18"), None, "exceeds CAPACITY"),
])
def test_malformed_file_is_reported_with_file_and_line(tmp_path, mutate, line, message):
    p = tiny(tmp_path, mutate(TINY_SPD))
    with pytest.raises(CVRPLibFormatError, match=message) as ei:
        read_lkh(p)
    assert ei.value.line == line and ei.value.path == str(p)


def test_malformed_file_exits_2_without_traceback(tmp_path):
    p = tiny(tmp_path, TINY_SPD.replace("3 0 0 1000 0 0 8", "3 0 0 1000 0 0"))
    res = CliRunner().invoke(solve_vrp, [str(p)])
    assert res.exit_code == 2  # a user error (an exception escaping would give 1)
    assert f"{p}:17" in res.output and "expects 7 numbers" in res.output and "Nothing was written" in res.output


@needs_bench
@pytest.mark.slow
@pytest.mark.parametrize("folder, name", [(VRPTW, "C201.100.3.vrptw"), (VRPSPD, "rc201.vrpspd")])
def test_solve_vrp_on_the_shared_sets_is_honest_and_close(folder, name):
    res = run_cli("solve-vrp", folder / name, "--time-limit", "4", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    inst = read_lkh(folder / name)
    assert sorted(c for r in out["routes"] for c in r) == list(range(1, inst.num_customers + 1))
    assert check_lkh_solution(inst, out["routes"]) == out["cost"]
    best = bks(folder, name)
    assert best <= out["cost"] <= 1.01 * best
    assert out["engine"] == "pyvrp"
