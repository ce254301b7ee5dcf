"""Cultural destinations as stops of the plan: daily and weekly plans, route_plan.csv, driver sheets, maps,
reach tables and indicators (the conftest county: 8 villages on one road, 6 delivery days a week).

D1 密州文化超市 (culture_store) receives 12 parcels a week in and 3 out on days 1 and 4 (Mon, Thu); D2 测试村5农家书屋
(library) 6 in, 0 out on any delivery day.  Daily plan: D1 ⌈12/2⌉ = 6 in, ⌈3/2⌉ = 2 out; D2 ⌈6/6⌉ = 1 in.  Weekly
plan: D1 on days 1 and 4 only, 6 + 6 in (3 days since the previous visit each) and 2 + 1 out (the odd parcel to the
earlier visit); D2 on its visits_per_week days, 6 parcels in over the week.
"""
from __future__ import annotations

import openpyxl
import pytest

from conftest import LAT, LON0, destinations_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.kpis.indicators import KpiInputs, compute_kpis
from culture_logistics.reports.coverage import build_coverage_report
from culture_logistics.reports.routes import write_plan, write_weekly
from culture_logistics.routing.plan import plan_routes
from culture_logistics.routing.weekly import plan_week

ROWS = [f'D1,密州文化超市,文化超市,370782001003,{LON0 + 0.05:.2f},{LAT},12,3,"1,4"',
        f"D2,测试村5农家书屋,农家书屋,370782001005,{LON0 + 0.08:.2f},{LAT},6,0,"]
VILLAGE_KINDS = ("village_point", "village_centre")


@pytest.fixture(scope="module")
def scn(tmp_path_factory):
    return load_scenario(destinations_scenario(tmp_path_factory.mktemp("dest") / "s", ROWS,
                                               toml_extra="[routing]\ntime_limit_s = 1\n"))


@pytest.fixture(scope="module")
def daily(scn):
    return plan_routes(scn, "shared")


def test_daily_plan_stops_at_the_destinations(daily):
    t = daily.plan_table()
    lm = t[t["echelon"] == "last_mile"]
    d = lm[~lm["stop_kind"].isin(VILLAGE_KINDS + ("depot",))].set_index("stop_id")
    assert sorted(d.index) == ["D1", "D2"]
    assert d.loc["D1", ["stop_name", "stop_kind", "delivered", "picked_up"]].tolist() == \
        ["密州文化超市", "culture_store", 6, 2]
    assert d.loc["D2", ["stop_name", "stop_kind", "delivered", "picked_up"]].tolist() == \
        ["测试村5农家书屋", "library", 1, 0]
    # all their parcels are cultural
    assert d.loc["D1", ["delivered_cultural", "picked_up_cultural"]].tolist() == [6, 2]
    s = daily.summary()
    assert s["villages_served"] == 8 and s["unserved_stops"] == 0
    assert s["destinations"] == {"destinations": 2, "served": 2, "unserved": 0, "parcels_delivered": 7,
                                 "parcels_picked_up": 2}
    villages = lm[lm["stop_kind"].isin(VILLAGE_KINDS)]
    assert s["parcels_delivered"] == int(villages["delivered"].sum()) + 7
    # the trunk carries the destinations' parcels to the station too
    trunk = t[(t["echelon"] == "trunk") & (t["stop_kind"] == "station")]
    assert int(trunk["delivered"].sum()) == s["parcels_delivered"]


def test_weekly_plan_visits_a_destination_on_its_days_only(scn):
    week = plan_week(scn, "shared")
    t = week.plan_table()
    d1 = t[t["stop_id"] == "D1"]
    assert d1["day"].tolist() == [1, 4]
    assert d1["delivered"].tolist() == [6, 6] and d1["picked_up"].tolist() == [2, 1]
    assert set(d1["stop_kind"]) == {"culture_store"}
    dv = week.destination_visits_table().set_index("destination_id")
    assert dv.loc["D1", ["days", "visits_per_week", "visit_days", "delivered_per_visit"]].tolist() == \
        ["1 4", 2, "1 4", "6 6"]
    d2 = t[t["stop_id"] == "D2"]
    assert len(d2) == dv.loc["D2", "visits_per_week"] == 2 and int(d2["delivered"].sum()) == 6
    assert week.summary()["destinations"] == {"destinations": 2, "visits": 4}
    # visits.csv and the week's village counts hold the villages only
    assert len(week.visits_table()) == 8
    wk = week.week_table()
    assert wk["villages_visited"].sum() == int(t["stop_kind"].isin(VILLAGE_KINDS).sum())


def test_outputs_show_the_destinations(scn, daily, tmp_path):
    write_plan(daily, tmp_path / "daily", lang="zh")
    plan_csv = (tmp_path / "daily" / "route_plan.csv").read_text(encoding="utf-8-sig")
    assert ",D1,密州文化超市,culture_store,6,2," in plan_csv
    assert ",D2,测试村5农家书屋,library,1,0," in plan_csv
    html = (tmp_path / "daily" / "routes_map.html").read_text(encoding="utf-8")
    assert html.count('"destination"') == 1          # one layer of destination markers …
    assert "文化目的地" in html and "农家书屋" in html   # … with its legend section, kinds in Chinese
    wb = openpyxl.load_workbook(tmp_path / "daily" / "route_sheets.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "文化超市" in cells and "农家书屋" in cells and "密州文化超市" in cells
    week = plan_week(scn, "shared")
    write_weekly(week, tmp_path / "week", lang="en")
    dv = (tmp_path / "week" / "destination_visits.csv").read_text(encoding="utf-8-sig").splitlines()
    assert dv[1].startswith("D1,密州文化超市,culture_store,370782001003,370782001,12,3,1 4,2,1 4,")


def test_reach_tables_list_destinations_not_as_villages(scn, tmp_path):
    cov = compute_coverage(scn)
    assert len(cov.village_table()) == 8 and cov.summary()["villages"] == 8
    d = cov.destination_table().set_index("destination_id")
    assert d.loc["D1", "kind"] == "culture_store" and d.loc["D2", "kind"] == "library"
    # D2 sits 0.02° east of the county hub on the road (≈ 1.8 km), within the 3 km radius; D1 is 4.5 km from P1
    assert d.loc["D2", ["nearest_facility_id", "reached"]].tolist() == ["HUB", "true"]
    assert d.loc["D1", ["nearest_facility_id", "reached"]].tolist() == ["P1", "false"]
    report = build_coverage_report(cov, lang="zh")
    paths = report.write(tmp_path / "cov")
    assert "destination_reach.csv" in paths
    import geopandas as gpd
    layer = gpd.read_file(paths["coverage.gpkg"], layer="destinations")
    assert layer["destination_id"].tolist() == ["D1", "D2"] and layer["distance_m"].tolist() == [4508, 1803]
    assert list(report.sheets)[2] == "文化目的地"
    assert report.sheets["文化目的地"]["类型"].tolist() == ["文化超市", "农家书屋"]
    assert "文化目的地（已覆盖 1/2）" in report.map_html


def test_indicators_do_not_count_destinations_as_villages(scn, daily):
    t = compute_kpis(KpiInputs.from_results(scn, compute_coverage(scn), daily))
    rows = {r["code"]: r for r in t.rows}
    assert (rows["K2"]["numerator"], rows["K2"]["denominator"]) == (8, 8)
    lm = daily.plan_table()
    at_villages = int(lm[lm["stop_kind"].isin(VILLAGE_KINDS)]["delivered"].sum())
    assert rows["K2-parcels"]["numerator"] == at_villages == daily.summary()["parcels_delivered"] - 7


def test_without_destinations_nothing_changes(tmp_path):
    """A scenario without [inputs] destinations: no destinations key in any summary, no destination_visits.csv."""
    from conftest import write_scenario
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra="[routing]\ntime_limit_s = 1\n"))
    assert scn.destinations is None and "destinations" not in scn.summary()
    week = plan_week(scn, "shared")
    assert "destinations" not in week.summary() and "destinations" not in week.days[0].summary()
    write_weekly(week, tmp_path / "w", lang="en")
    assert not (tmp_path / "w" / "destination_visits.csv").exists()
    assert week.destination_visits_table().empty


def test_county_report_names_the_destinations(scn, tmp_path):
    from conftest import run_cli
    res = run_cli("report", scn.path, "--out", tmp_path / "rep", "--time-limit", "0.5", "--no-pdf", "--quiet")
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "共同配送每日线路到达 2/2 个，送达 7 件、揽收 2 件（不计入村数）" in html
    assert (tmp_path / "rep" / "destination_reach.csv").is_file()


def test_weekly_plan_refuses_days_beyond_its_delivery_days(scn):
    from dataclasses import replace

    from culture_logistics.config.routing import RoutingParams
    from culture_logistics.errors import CultureLogisticsError
    params = replace(RoutingParams.from_scenario(scn), delivery_days_per_week=3)
    with pytest.raises(CultureLogisticsError, match="destination D1 receives on days 1,4, beyond the plan's 3 "
                                                    "delivery days"):
        plan_week(scn, "shared", params)
