"""Coverage on small hand-made networks, counted by hand; the `coverage` command's files.

Both networks lie on the straight road of conftest (lat 36.0°, a vertex every 0.01° of longitude).
One vertex step = 0.01° of longitude at 36°N = N(φ)·cos φ·Δλ = 6,385,526 m × 0.809017 × 1.74533e-4
≈ 901.6 m; the coverage radius is 3,000 m, i.e. 3 steps reach (2,705 m) and 4 steps (3,607 m) do not.
"""
from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import LAT, LON0, ROOT, STEP, road_line, run_cli, write_scenario
from culture_logistics import load_scenario
from culture_logistics.coverage.reach import (
    GAP_COLUMNS,
    TOWNSHIP_REACH_COLUMNS,
    VILLAGE_REACH_COLUMNS,
    compute_coverage,
)

STEP_M = 901.6
# 0.005° of latitude at 36°N (meridian arc M(φ)·Δφ = 6,357,486 m × 8.7266e-5), in the county's UTM zone
# (scale factor ≈ 1.0001 at 2.3° from the central meridian): ≈ 554.9 m
NORTH_0005_M = 554.9


def villages_of(result):
    return result.villages.set_index("village_code")


# ------------------------------------------------------------------ case 1: conftest's county
def test_tiny_county_counts_by_hand(tiny):
    """Villages 1..8 at vertices 0,2,…,14; P1 (postal) at vertex 0, HUB (shared) at 10, C1 (courier) at 14.

    postal reaches (P1 or HUB within 3 steps): 1 (0), 2 (2), 5 (2), 6 (0), 7 (2)          -> 5 villages
    courier reaches (C1 or HUB): 5 (2 from HUB), 6 (0), 7 (2), 8 (0)                        -> 4 villages
    supply_coop has no facility: not a carrier here; reached = postal AND courier -> 5, 6, 7 -> 3 villages
    reached_any = postal OR courier -> 1, 2, 5, 6, 7, 8 -> 6 villages; population 1000·k.
    """
    r = compute_coverage(load_scenario(tiny))
    v = villages_of(r)
    code = [f"37078200100{k}" for k in range(1, 9)]
    assert r.carriers == ["postal", "courier"]
    assert list(v.index[v["reached_by_postal"]]) == [code[i - 1] for i in (1, 2, 5, 6, 7)]
    assert list(v.index[v["reached_by_courier"]]) == [code[i - 1] for i in (5, 6, 7, 8)]
    assert list(v.index[v["reached"]]) == [code[i - 1] for i in (5, 6, 7)]
    assert list(v.index[v["reached_any"]]) == [code[i - 1] for i in (1, 2, 5, 6, 7, 8)]
    # nearest facility overall, in steps: 0, 2, 4 (P1), 4 (HUB), 2, 0, 2, 0
    assert v["distance_m"].to_numpy() == pytest.approx(np.array([0, 2, 4, 4, 2, 0, 2, 0]) * STEP_M, abs=1.0)
    ids = list(v["nearest_facility_id"])
    assert ids[:6] + ids[7:] == ["P1", "P1", "P1", "HUB", "HUB", "HUB", "C1"]
    assert ids[6] in ("HUB", "C1")  # village 7 is 2 steps from both
    # per operator: courier's nearest for village 1 is HUB, 10 steps away
    assert v.loc[code[0], "dist_courier_m"] == pytest.approx(10 * STEP_M, abs=1.0)
    assert v.loc[code[0], "missing_operators"] == "courier"
    assert v.loc[code[3], "missing_operators"] == "postal;courier"
    s = r.summary()
    assert (s["villages"], s["villages_reached"], s["villages_reached_any"]) == (8, 3, 6)
    assert (s["population"], s["population_reached"]) == (36000, 5000 + 6000 + 7000)
    assert s["by_operator"]["postal"]["villages_reached"] == 5
    assert s["by_operator"]["postal"]["population_reached"] == 1000 + 2000 + 5000 + 6000 + 7000
    assert s["by_operator"]["courier"]["villages_reached"] == 4
    assert s["by_operator"]["courier"]["population_reached"] == 5000 + 6000 + 7000 + 8000
    # travel time: 36 km/h = 10 m/s on the road, so 2 steps ≈ 180 s = 3.0 min
    assert v.loc[code[1], "travel_time_min"] == pytest.approx(2 * STEP_M / 10 / 60, abs=0.01)
    tw = r.township_table()
    assert list(tw.columns) == TOWNSHIP_REACH_COLUMNS
    row = tw.iloc[0]
    assert (row.villages, row.villages_reached, row.villages_reached_any, row.reach_rate) == (8, 3, 6, 0.375)
    assert row.worst_distance_m == pytest.approx(4 * STEP_M, abs=1.0)
    assert (row.villages_reached_by_postal, row.villages_reached_by_courier) == (5, 4)


def test_tiny_county_gap_table(tiny):
    r = compute_coverage(load_scenario(tiny))
    g = r.gap_table()
    assert list(g.columns) == GAP_COLUMNS
    assert list(g["village_code"]) == [f"37078200100{k}" for k in (1, 2, 3, 4, 8)]
    assert list(g["missing_operators"]) == ["courier", "courier", "postal;courier", "postal;courier", "postal"]
    # village 3 (vertex 4): postal's nearest P1 4 steps, courier's nearest HUB 6 steps
    row = g.iloc[2]
    assert (row.postal_nearest_id, row.courier_nearest_id) == ("P1", "HUB")
    assert float(row.postal_distance_m) == pytest.approx(4 * STEP_M, abs=1.0)
    assert float(row.courier_distance_m) == pytest.approx(6 * STEP_M, abs=1.0)
    assert set(g["supply_coop_distance_m"]) == {""}  # no supply_coop in the county: not a carrier


def test_radius_changes_reach(tiny):
    """With 4,000 m (4 steps = 3,607 m reach) every village is reached by postal and courier via HUB or own."""
    r = compute_coverage(load_scenario(tiny), radius_m=4000)
    v = villages_of(r)
    # postal: villages at vertices 0..14 are within 4 steps of P1 (0) or HUB (10): all 8
    assert int(v["reached_by_postal"].sum()) == 8
    # courier: HUB (10) or C1 (14): vertices 6..14 -> villages 4..8
    assert list(v["reached_by_courier"]) == [False, False, False, True, True, True, True, True]


# ------------------------------------------------------------------ case 2: a shared point and a disconnected village
def case2(tmp_path):
    """Facilities: P postal at vertex 0, S shared at vertex 5, K supply_coop at vertex 20.

    Villages (population):
      A 001 vertex 3 (100)            postal via S 2 steps, supply via S 2 steps   -> reached
      B 002 vertex 8 (200)            postal via S 3, supply via S 3 (2,705 m)      -> reached
      C 003 vertex 11 (300)           S 6 steps, P 11, K 9                          -> gap, no operator
      D 004 vertex 17 (400)           supply via K 3; postal nearest S 12 steps    -> reached_any only
      E 005 on a separate road 0.1° north, 11 km from the main road             -> unreachable
      F 006 0.005° north of vertex 0 (600): 555 m access leg to P               -> postal only
    """
    lon = lambda k: round(LON0 + STEP * k, 6)  # noqa: E731
    villages = [
        f"370782001001,村A,370782001,{lon(3)},{LAT},100",
        f"370782001002,村B,370782001,{lon(8)},{LAT},200",
        f"370782001003,村C,370782001,{lon(11)},{LAT},300",
        f"370782001004,村D,370782001,{lon(17)},{LAT},400",
        f"370782001005,村E,370782001,{lon(10)},{LAT + 0.1},500",
        f"370782001006,村F,370782001,{lon(0)},{LAT + 0.005},600",
    ]
    facilities = [
        f"P,邮政所,postal,township,{lon(0)},{LAT},,",
        f"S,共配点,shared,village,{lon(5)},{LAT},,",
        f"K,供销社,supply_coop,village,{lon(20)},{LAT},,",
    ]
    island = {"type": "Feature", "properties": {"road_class": "tertiary", "maxspeed": 36, "name": "孤路"},
              "geometry": {"type": "LineString", "coordinates": [[lon(9), LAT + 0.1], [lon(10), LAT + 0.1],
                                                                 [lon(11), LAT + 0.1]]}}
    roads = {"type": "FeatureCollection", "features": [road_line(), island]}
    return write_scenario(tmp_path / "case2", villages, facilities, roads=roads)


def test_shared_point_and_disconnected_village(tmp_path):
    scn = load_scenario(case2(tmp_path))
    r = compute_coverage(scn)
    v = villages_of(r)
    A, B, C, D, E, F = (f"37078200100{k}" for k in range(1, 7))
    assert r.carriers == ["postal", "supply_coop"]
    assert list(v.index[v["reached"]]) == [A, B]
    assert list(v.index[v["reached_any"]]) == [A, B, D, F]
    assert list(v.index[v["reached_by_postal"]]) == [A, B, F]
    assert list(v.index[v["reached_by_supply_coop"]]) == [A, B, D]
    assert list(v.index[v["reached_by_shared"]]) == [A, B]
    assert v.loc[A, "nearest_facility_id"] == "S" and v.loc[A, "distance_m"] == pytest.approx(2 * STEP_M, abs=1)
    assert v.loc[B, "distance_m"] == pytest.approx(3 * STEP_M, abs=1)
    assert v.loc[C, "distance_m"] == pytest.approx(6 * STEP_M, abs=1)
    assert v.loc[D, "dist_postal_m"] == pytest.approx(12 * STEP_M, abs=1)
    assert v.loc[D, "nearest_postal_id"] == "S"
    assert v.loc[F, "dist_postal_m"] == pytest.approx(NORTH_0005_M, abs=1)
    assert v.loc[F, "dist_supply_coop_m"] == pytest.approx(NORTH_0005_M + 5 * STEP_M, abs=1)
    # the disconnected village: no distance, not reached, every carrier missing
    assert not np.isfinite(v.loc[E, "distance_m"])
    assert not v.loc[E, "reached"] and not v.loc[E, "reached_any"]
    assert v.loc[E, "missing_operators"] == "postal;supply_coop"
    t = r.village_table().set_index("village_code")
    assert list(r.village_table().columns) == VILLAGE_REACH_COLUMNS
    assert (t.loc[E, "distance_m"], t.loc[E, "travel_time_min"], t.loc[E, "reached"]) == ("", "", "false")
    assert (t.loc[A, "reached"], t.loc[A, "reached_by"]) == ("true", "postal;supply_coop")
    assert t.loc[D, "reached_by"] == "supply_coop" and t.loc[D, "reached_any"] == "true"
    s = r.summary()
    assert (s["villages"], s["villages_reached"], s["villages_reached_any"], s["villages_unreachable"]) == (6, 2, 4, 1)
    assert (s["population"], s["population_reached"]) == (2100, 300)
    assert s["by_operator"]["postal"] == {"facilities": 1, "villages_reached": 3, "population_reached": 900}
    assert s["by_operator"]["supply_coop"]["population_reached"] == 100 + 200 + 400
    g = r.gap_table().set_index("village_code")
    assert list(g.index) == [C, D, E, F]
    assert g.loc[E, "distance_m"] == "" and g.loc[E, "postal_distance_m"] == ""
    assert float(g.loc[D, "postal_distance_m"]) == pytest.approx(12 * STEP_M, abs=1)
    assert g.loc[D, "courier_distance_m"] == ""  # no courier in this county


def test_service_area_road_km_by_hand(tiny):
    """Postal: P1 covers vertex 0 → 3,000 m east, HUB 3,000 m each way: 9.0 km of road.
    Courier: HUB [10 steps − 3 km, 10 steps + 3 km] ∪ C1 [14 steps − 3 km, 14 steps + 3 km] = 4 steps + 6 km."""
    r = compute_coverage(load_scenario(tiny))
    sa = r.service_areas().set_index("operator")
    assert list(sa.index) == ["postal", "courier"]
    assert sa.loc["postal", "road_km"] == pytest.approx(9.0, abs=0.01)
    assert sa.loc["courier", "road_km"] == pytest.approx((4 * STEP_M + 6000) / 1000, abs=0.01)
    assert sa.crs.to_epsg() == 4326
    # the buffered postal area contains village 2 (on the road, 2 steps) but not village 4 (6 steps from P1)
    from shapely.geometry import Point

    geom = sa.loc["postal", "geometry"]
    assert geom.contains(Point(LON0 + 2 * STEP, LAT)) and not geom.contains(Point(LON0 + 6 * STEP, LAT))


# ------------------------------------------------------------------ the command
def coverage_cli(*args):
    """The real `coverage` command in a subprocess (through cli.py once it is registered)."""
    from culture_logistics.cli.main import main

    if "coverage" in main.commands:
        return run_cli("coverage", "--lang", "en", *args)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "culture_logistics.cli.coverage", "--lang", "en", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.slow
def test_cli_writes_every_file(tmp_path):
    out = tmp_path / "out"
    p = coverage_cli(case2(tmp_path), "--out", out, "--tiles", "none")
    assert p.returncode == 0, p.stderr
    assert "2/6 villages" in p.stdout
    assert sorted(x.name for x in out.iterdir()) == sorted(
        ["village_reach.csv", "township_reach.csv", "gaps.csv", "summary.json", "village_reach.xlsx",
         "coverage_map.html", "coverage.gpkg"])
    rows = read_csv(out / "village_reach.csv")
    assert rows[0] == VILLAGE_REACH_COLUMNS
    assert [r[0] for r in rows[1:]] == [f"37078200100{k}" for k in range(1, 7)]
    e = dict(zip(rows[0], rows[5]))
    assert (e["reached"], e["reached_any"], e["distance_m"], e["travel_time_min"]) == ("false", "false", "", "")
    assert read_csv(out / "township_reach.csv")[0] == TOWNSHIP_REACH_COLUMNS
    assert read_csv(out / "gaps.csv")[0] == GAP_COLUMNS
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {k: s[k] for k in ("villages", "villages_reached", "villages_reached_any", "population",
                              "population_reached")} == {"villages": 6, "villages_reached": 2,
                                                         "villages_reached_any": 4, "population": 2100,
                                                         "population_reached": 300}
    assert s["by_operator"]["supply_coop"] == {"facilities": 1, "villages_reached": 3, "population_reached": 700}


@pytest.mark.slow
def test_cli_xlsx_codes_are_text_and_zh_headers(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "zh"
    p = coverage_cli(case2(tmp_path), "--out", out, "--lang", "zh", "--no-map", "--radius", "3000")
    assert p.returncode == 0, p.stderr
    assert not (out / "coverage_map.html").exists()
    wb = load_workbook(out / "village_reach.xlsx")
    assert wb.sheetnames == ["全县汇总", "缺口村", "370782001 密州街道"]
    ws = wb["370782001 密州街道"]
    head = [c.value for c in ws[1]]
    assert head[:5] == ["村代码", "村名", "乡镇代码", "乡镇(街道)", "人口"]
    code = ws["A2"]
    assert code.value == "370782001001" and code.data_type == "s" and code.number_format == "@"
    assert ws["C2"].value == "370782001" and ws["C2"].data_type == "s"
    col = {h: i for i, h in enumerate(head)}
    row_e = [c.value for c in ws[6]]
    assert row_e[col["全部运营方覆盖"]] == "否" and row_e[col["网络距离(米)"]] is None
    row_a = [c.value for c in ws[2]]
    assert row_a[col["覆盖的运营方"]] == "邮政、供销社" and row_a[col["网络距离(米)"]] == round(2 * STEP_M)
    total = [c.value for c in wb["全县汇总"][3]]
    assert total[1] == "全县合计" and total[2:5] == [6, 2, 4]
    assert wb["缺口村"].max_row == 1 + 4


@pytest.mark.slow
def test_cli_user_mistakes(tmp_path):
    scn = case2(tmp_path)
    p = coverage_cli(scn, "--out", tmp_path / "bad", "--radius", "-5")
    assert p.returncode == 2 and "--radius must be a positive" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
    p = coverage_cli(tmp_path / "nope.toml", "--out", tmp_path / "bad2")
    assert p.returncode == 2 and "file not found" in p.stderr and "Traceback" not in p.stderr
    (tmp_path / "afile").write_text("x")
    p = coverage_cli(scn, "--out", tmp_path / "afile")
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_demo_stage(tmp_path, tiny):
    from culture_logistics.app.coverage import demo_stage

    lines = []
    s = demo_stage(load_scenario(tiny), tmp_path / "demo", None, lines.append)
    assert 1 <= len(lines) <= 4 and "3/8 villages" in lines[0]
    assert (tmp_path / "demo" / "coverage_map.html").exists() and s["villages_reached"] == 3
    assert math.isfinite(s["seconds"])
