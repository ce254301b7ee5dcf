"""Independent plans in parallel processes (culture_logistics.routing.parallel) and the road network's
shortest-path row cache behind them: the same plans, lines and errors as one after the other."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import LAT, LON0, STEP, write_scenario

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="plans run in forked processes on Linux only")
HERE = Path(__file__).resolve().parent


def in_fresh_python(name: str, *args) -> None:
    """Run this module's function ``name(*args)`` in a new interpreter: plans are only forked from a process
    with no other thread, and earlier tests (Dask's) leave threads behind in pytest's."""
    code = (f"import sys; sys.path[:0] = {[str(HERE), str(HERE.parent), str(HERE.parents[1] / 'src')]!r}; "
            f"import test_parallel as t; t.{name}(*{[str(a) for a in args]!r})")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]


def _county(tmp_path, toml_extra: str = ""):
    vill = [f"37078200100{k},村{k},370782001,{LON0 + (2 * k + 1) * STEP:.6f},{LAT},1000,{3 + k},{k}"
            for k in range(1, 6)]
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,",
           f"S1,密州供销站,supply_coop,township,{LON0 + STEP:.6f},{LAT},,",
           f"C1,密州快递点,courier,township,{LON0 + 2 * STEP:.6f},{LAT},,"]
    header = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
    return write_scenario(tmp_path, villages=vill, facilities=fac, village_header=header,
                          toml_extra="[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 2\n" + toml_extra)


def test_workers_for_never_exceeds_the_plans():
    in_fresh_python("_workers_for_never_exceeds_the_plans")


def _workers_for_never_exceeds_the_plans():
    from culture_logistics.routing.parallel import workers_for

    assert workers_for(0, 1) == 1
    assert workers_for(8, 3) == (3 if sys.platform.startswith("linux") else 1)
    assert workers_for(1, 10) == 1


@linux
def test_compare_in_two_processes_gives_the_plans_of_one(tmp_path):
    """Separate, shared, 邮快合作 and the six coalitions planned in 2 processes and in 1: every stop row and
    every coalition cost identical, and every progress line of the single-process run relayed."""
    in_fresh_python("_compare_in_two_processes", tmp_path)


def _compare_in_two_processes(tmp_path):
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.compare import compare_modes
    from culture_logistics.routing.parallel import workers_for

    tmp_path = Path(tmp_path)

    assert workers_for(2, 11) == 2, "the second run must really use two processes"
    sc = load_scenario(_county(tmp_path))
    got = {}
    for w in (1, 2):
        lines: list[str] = []
        p = dataclasses.replace(RoutingParams.from_scenario(sc), workers=w)
        r = compare_modes(sc, p, sharing=True, progress=lines.append)
        got[w] = r, sorted(lines)
    (a, la), (b, lb) = got[1], got[2]
    for plan_a, plan_b in ((a.shared, b.shared), (a.separate, b.separate), (a.postal_courier, b.postal_courier)):
        assert plan_a.stops.equals(plan_b.stops)
        assert plan_a.routes.equals(plan_b.routes)
        assert plan_b.net is plan_a.net or plan_b.net is not None  # the parent's network is put back
        assert plan_b.scenario is sc
    assert a.cost_sharing.cost == b.cost_sharing.cost
    assert len(a.cost_sharing.cost) == 7
    assert la == lb and any(line.startswith("coalition postal+courier") for line in lb)
    # the plans came back usable: road geometry drawn from the parent's network
    assert len(b.shared.routes_gdf()) == len(b.shared.routes)


@linux
def test_plans_without_cultural_parcels_among_the_comparison_give_the_costs_of_solving_them_after(tmp_path):
    """With other parcels riding along, shared and separate planned without the cultural parcels as jobs of the
    comparison (2 processes) give the marginal costs and notes of solving them after it, one after the other."""
    in_fresh_python("_without_cultural_among_the_jobs", tmp_path)


def _without_cultural_among_the_jobs(tmp_path):
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.compare import compare_modes
    from culture_logistics.routing.plan import solve_without_cultural

    other = "[demand]\nother_in_per_capita_week = 0.02\nother_out_per_capita_week = 0.004\n"
    sc = load_scenario(_county(Path(tmp_path), toml_extra=other))
    assert int(sc.villages["other_in_per_week"].sum()) == 100   # 20 a village: the plans without them are not empty
    lines: list[str] = []
    p2 = dataclasses.replace(RoutingParams.from_scenario(sc), workers=2)
    fast = compare_modes(sc, p2, progress=lines.append, without_cultural=True)
    slow = compare_modes(sc, dataclasses.replace(p2, workers=1))
    assert slow.shared.without_cultural_cost_cny is None    # not asked for
    for plan in (slow.shared, slow.separate):
        solve_without_cultural(plan)
    for a, b in ((fast.shared, slow.shared), (fast.separate, slow.separate)):
        assert a.stops.equals(b.stops) and a.routes.equals(b.routes)
        assert a.without_cultural_cost_cny == b.without_cultural_cost_cny is not None
        assert 0 < a.without_cultural_cost_cny <= a.totals()["cost_cny"]
        assert a.warnings == b.warnings
        assert a.summary()["cultural_marginal_cost_cny_per_day"] == b.summary()["cultural_marginal_cost_cny_per_day"]
    assert any(line.startswith("without cultural parcels: shared last mile") for line in lines), lines
    assert any(line.startswith("without cultural parcels: postal") for line in lines), lines


@linux
def test_comparison_files_made_in_two_processes_are_the_bytes_of_one(tmp_path):
    """write_comparison makes each plan's files (driver workbook, map, layers, tables) in a process of its own:
    every file the same bytes as made one after the other."""
    in_fresh_python("_comparison_files_in_two_processes", tmp_path)


def _comparison_files_in_two_processes(tmp_path):
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_comparison
    from culture_logistics.routing.compare import compare_modes
    from culture_logistics.routing.parallel import workers_for

    tmp_path = Path(tmp_path)
    sc = load_scenario(_county(tmp_path / "c"))
    cmp = compare_modes(sc, dataclasses.replace(RoutingParams.from_scenario(sc), workers=1), sharing=True)
    files = {}
    for w in (2, 1):
        assert workers_for(w, 3) == w
        cmp.shared.params = dataclasses.replace(cmp.shared.params, workers=w)
        paths = write_comparison(cmp, tmp_path / f"w{w}", map_html=True, lang="zh")
        files[w] = {name: path.read_bytes() for name, path in paths.items()}
    assert files[2] == files[1]
    assert {"shared/route_sheets.xlsx", "separate/routes_map.html", "postal_courier/routes.gpkg",
            "cost_sharing.xlsx"} <= set(files[2])


@linux
def test_an_error_in_a_worker_is_raised_in_the_parent(tmp_path):
    in_fresh_python("_error_in_a_worker", tmp_path)


def _error_in_a_worker(tmp_path):
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.errors import InfeasibleError
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.parallel import plan_many
    from culture_logistics.routing.plan import plan_mode
    from culture_logistics.routing.specs import build_context

    sc = load_scenario(_county(Path(tmp_path)))
    ctx = build_context(sc, RoutingParams.from_scenario(sc))

    def bad(ctx, progress):
        raise InfeasibleError("station S9 cannot be reached")

    with pytest.raises(InfeasibleError, match="S9"):
        plan_many(ctx, {"ok": lambda c, pr: plan_mode(c, "shared", pr), "bad": bad}, workers=2)


def test_cached_rows_give_the_distances_of_a_fresh_network(tmp_path):
    """full_matrix from cached rows (a second call, and after warm) equals the first, uncached call."""
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.network.roads import RoadNetwork

    sc = load_scenario(_county(tmp_path))
    lon, lat = sc.villages["lon"].to_numpy(), sc.villages["lat"].to_numpy()
    fresh = RoadNetwork.from_scenario(sc)
    first = fresh.full_matrix(fresh.snap(lon, lat), "length")
    assert fresh._rows["length"]  # rows kept
    again = fresh.full_matrix(fresh.snap(lon[::-1], lat[::-1]), "length")
    np.testing.assert_array_equal(again, first[::-1, ::-1])
    warmed = RoadNetwork.from_scenario(sc)
    warmed.warm(sc.facilities["lon"], sc.facilities["lat"], lon, lat)
    n_rows = len(warmed._rows["travel_time"])
    np.testing.assert_array_equal(warmed.full_matrix(warmed.snap(lon, lat), "length"), first)
    assert len(warmed._rows["travel_time"]) == n_rows  # nothing computed again
    # adjacent villages 2 vertices apart on the straight road: the distance is 2 segments
    assert first[0, 1] == pytest.approx(first[1, 2], rel=1e-9)


def test_errors_survive_the_trip_from_a_worker():
    """What a worker raises reaches the parent by pickle: the problems of a ScenarioError come back whole."""
    import pickle

    from culture_logistics.errors import Problem, ScenarioError, SolverError

    e = pickle.loads(pickle.dumps(ScenarioError([Problem("facilities.csv", "no county depot", row=3)])))
    assert [str(p) for p in e.problems] == ["facilities.csv, row 3: no county depot"]
    assert str(e).startswith("1 problem(s) in the input:")
    s = pickle.loads(pickle.dumps(SolverError("engine failed")))
    assert s.exit_code == 1 and str(s) == "engine failed"


def _workers_in_child(q):
    from culture_logistics.routing.parallel import workers_for

    q.put(workers_for(4, 4))


@linux
def test_a_daemonic_worker_plans_in_its_own_process():
    """batch runs counties in daemonic worker processes, which may not start processes of their own."""
    in_fresh_python("_daemonic_worker")


def _daemonic_worker():
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    p = ctx.Process(target=_workers_in_child, args=(q,), daemon=True)
    p.start()
    p.join(30)
    assert q.get() == 1


@linux
def test_a_process_with_other_threads_is_never_forked():
    """Forking while another thread may hold a lock can deadlock the child: one process then."""
    in_fresh_python("_other_threads")


def _other_threads():
    import threading

    from culture_logistics.routing.parallel import workers_for

    assert workers_for(2, 4) == 2
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        assert workers_for(2, 4) == 1
    finally:
        stop.set()
        t.join(5)
    assert workers_for(2, 4) == 2


@linux
def test_dropped_stops_diagnosed_in_two_processes_as_in_one(tmp_path):
    """Each of the three separate operators' stations has one van of 10 for its share of 30 parcels: stops are
    dropped at the postal and the courier station, and their diagnosis (reasons, confirmed fixes, the re-solves counted in each model's stats), made
    in 2 processes, is that of diagnosing them one after the other."""
    in_fresh_python("_diagnosis_in_two_processes", tmp_path)


def _diagnosis_in_two_processes(tmp_path):
    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.routing.plan import plan_routes

    fleet = "".join(f'[[fleet]]\noperator = "{op}"\nechelon = "last_mile"\nname = "van10"\ncount = 1\n'
                    "capacity = 10\n\n" for op in ("postal", "supply_coop", "courier"))
    sc = load_scenario(_county(Path(tmp_path), toml_extra=fleet))
    got = {}
    for w in (1, 2):
        plan = plan_routes(sc, "separate", dataclasses.replace(RoutingParams.from_scenario(sc), workers=w))
        got[w] = plan
    a, b = got[1], got[2]
    assert a.unserved.equals(b.unserved)
    assert sorted(a.unserved["operator"]) == ["courier", "postal"]   # two models diagnosed: two jobs
    assert set(a.unserved["reason_code"]) == {"fleet_too_small"} and a.unserved["fix_checked"].all()
    resolves = [m.get("resolves", 0) for m in a.models]
    assert sum(resolves) >= 2 and resolves == [m.get("resolves", 0) for m in b.models]
    assert [m.get("iterations") for m in a.models] == [m.get("iterations") for m in b.models]
    assert a.stops.equals(b.stops) and a.routes.equals(b.routes)


@linux
def test_a_background_plan_runs_in_its_own_process_and_gives_its_value_or_error():
    in_fresh_python("_background")


def _background():
    import os
    import threading

    from culture_logistics.errors import CultureLogisticsError
    from culture_logistics.routing import parallel

    bg = parallel.Background(lambda: (os.getpid(), parallel._IN_WORKER, sum(range(10))))
    assert bg.forked
    pid, in_worker, total = bg.result()
    assert pid != os.getpid() and in_worker and total == 45      # a worker: its own plans run in it
    assert bg.result() == (pid, True, 45)                         # collected once, kept

    def fail():
        raise CultureLogisticsError("villages.csv row 3: lon 200 is outside the county")

    bad = parallel.Background(fail)
    try:
        bad.result()
    except CultureLogisticsError as e:
        assert "row 3" in str(e)
    else:
        raise AssertionError("the error was not raised in the parent")

    slow = parallel.Background(lambda: __import__("time").sleep(60))
    slow.cancel()                                                 # stopped, not waited for
    assert not slow.forked

    assert not parallel.Background(lambda: 1, workers=1).forked   # [routing] workers = 1: here, when asked
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        here = parallel.Background(lambda: os.getpid())           # another thread: never forked
        assert not here.forked and here.result() == os.getpid()
    finally:
        stop.set()
        t.join()
