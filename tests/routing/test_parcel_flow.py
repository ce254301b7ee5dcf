"""The whole parcel flow: other express parcels ride with the cultural ones (issue 20, item 1).

The tiny county (conftest): village k (k = 1…8) has 1000·k residents, so ⌈1000·k × 0.010⌉ = 10·k cultural
parcels in and 2·k out a week; with ``other_in_per_capita_week = 0.06`` and ``other_out_per_capita_week = 0.012``
it also has 60·k other parcels in and 12·k out a week, i.e. 10·k in and 2·k out a day (6 delivery days).
"""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from conftest import VILLAGE_HEADER, default_villages, run_cli, write_scenario
from culture_logistics.errors import CultureLogisticsError, ScenarioError
from culture_logistics.inputs.scenario import load_scenario, scale_demand
from culture_logistics.reports.routes import write_plan
from culture_logistics.routing.plan import plan_routes
from culture_logistics.routing.specs import split_flow

OTHER = "[demand]\nother_in_per_capita_week = 0.06\nother_out_per_capita_week = 0.012\n"
VILLAGE_KINDS = ("village_point", "village_centre")


def _daily(weekly: float) -> int:
    return math.ceil(round(weekly / 6, 9))


def test_other_flows_come_from_the_file_with_chinese_headers_else_per_capita(tmp_path):
    rows = default_villages()
    rows = [r + (",30,6" if i == 0 else ",,") for i, r in enumerate(rows)]
    path = write_scenario(tmp_path / "s", villages=rows, toml_extra=OTHER,
                          village_header=VILLAGE_HEADER + ",其他快递每周收件量,每周其他寄件量")
    v = load_scenario(path).villages
    assert v["other_in_per_week"].tolist() == [30] + [60 * k for k in range(2, 9)]
    assert v["other_out_per_week"].tolist() == [6] + [12 * k for k in range(2, 9)]
    assert v["parcels_in_per_week"].tolist() == [10 * k for k in range(1, 9)]    # the cultural flow is unchanged


def test_without_other_flows_nothing_changes(tmp_path):
    v = load_scenario(write_scenario(tmp_path / "s")).villages
    assert v["other_in_per_week"].tolist() == [0.0] * 8 and v["other_out_per_week"].tolist() == [0.0] * 8


@pytest.mark.parametrize("value, text", [("-3", "negative"), ("lots", "not a number"), ("inf", "finite")])
def test_a_bad_other_flow_names_file_row_and_field(tmp_path, value, text):
    rows = default_villages()
    rows[2] += f",{value}"
    rows = [r if i == 2 else r + "," for i, r in enumerate(rows)]
    path = write_scenario(tmp_path / "s", villages=rows, village_header=VILLAGE_HEADER + ",other_in_per_week")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    errs = [p for p in exc.value.problems if p.severity == "error"]
    assert len(errs) == 1 and errs[0].row == 4 and errs[0].column == "other_in_per_week", errs
    assert text in errs[0].message and errs[0].file.endswith("villages.csv")


def test_demand_scale_multiplies_every_flow_and_is_checked(tmp_path):
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra=OTHER + "scale = 1.5\npeak_scale = 3\n"))
    assert scn.demand_scale == 1.5 and scn.peak_scale == 3.0
    assert scn.villages["parcels_in_per_week"].tolist() == [15 * k for k in range(1, 9)]
    assert scn.villages["other_out_per_week"].tolist() == [18 * k for k in range(1, 9)]
    # route --demand-scale replaces [demand] scale
    two = scale_demand(scn, 2)
    assert two.villages["other_in_per_week"].tolist() == [120 * k for k in range(1, 9)]
    assert two.villages["parcels_out_per_week"].tolist() == [4 * k for k in range(1, 9)]
    with pytest.raises(CultureLogisticsError, match="--demand-scale"):
        scale_demand(scn, 0)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write_scenario(tmp_path / "t", toml_extra="[demand]\npeak_scale = -2\n"))
    assert any(p.column == "demand.peak_scale" for p in exc.value.problems)


def _check_flow(scn, out) -> None:
    """Loads, station throughput and delivered totals recomputed from the written CSVs alone."""
    plan = pd.read_csv(out / "route_plan.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    routes = pd.read_csv(out / "routes_summary.csv", encoding="utf-8-sig")
    uns = pd.read_csv(out / "unserved.csv", encoding="utf-8-sig", dtype={"stop_id": str})
    v = scn.villages
    cin = {c: _daily(a) for c, a in zip(v["code"], v["parcels_in_per_week"])}
    cout = {c: _daily(a) for c, a in zip(v["code"], v["parcels_out_per_week"])}
    oin = {c: _daily(a) for c, a in zip(v["code"], v["other_in_per_week"])}
    oout = {c: _daily(a) for c, a in zip(v["code"], v["other_out_per_week"])}
    assert sum(oin.values()) > sum(cin.values()) > 0      # the other parcels are most of the flow
    # every route's loads count all parcels
    cap = dict(zip(routes["route_id"], routes["capacity"]))
    for rid, g in plan.groupby("route_id"):
        g = g.sort_values("seq")
        load = int(g["delivered"].sum())
        assert int(g["load_after"].iat[0]) == load, rid
        for r in g.iloc[1:].itertuples():
            load = load - int(r.delivered) + int(r.picked_up)
            assert int(r.load_after) == load, (rid, r.seq)
            assert 0 <= load <= cap[rid]
    # village stops carry each village's whole flow; the cultural parcels are tracked inside it
    lm = plan[(plan["echelon"] == "last_mile") & plan["stop_kind"].isin(VILLAGE_KINDS)]
    # (a village with more parcels than the largest vehicle holds is visited more than once: its visits, served
    # and unserved, add up to its flow)
    missed = uns[uns["stop_kind"].isin(VILLAGE_KINDS)]
    for c in v["code"]:
        g, m = lm[lm["stop_id"] == c], missed[missed["stop_id"] == c]
        assert (g["delivered"].sum() + m["delivery"].sum(), g["picked_up"].sum() + m["pickup"].sum()) == (
            cin[c] + oin[c], cout[c] + oout[c]), c
        assert len(g) + len(m) >= 1, c
        if m.empty:
            assert (g["delivered_cultural"].sum(), g["picked_up_cultural"].sum()) == (cin[c], cout[c]), c
    # delivered totals = the input flows less what unserved.csv lists
    assert int(lm["delivered"].sum()) == sum(cin.values()) + sum(oin.values()) - int(missed["delivery"].sum())
    assert int(lm["picked_up"].sum()) == sum(cout.values()) + sum(oout.values()) - int(missed["pickup"].sum())
    gone = set(missed["stop_id"])
    assert int(lm["delivered_cultural"].sum()) >= sum(x for c, x in cin.items() if c not in gone)
    assert (uns["reason"].astype(str).str.len() > 0).all()
    # station throughput: the trunk brings a station every parcel its vans leave with (not what they leave out)
    trunk = plan[(plan["echelon"] == "trunk") & (plan["stop_kind"] == "station")]
    lm_routes = routes[routes["echelon"] == "last_mile"]
    for r in trunk.itertuples():
        vans = lm_routes[lm_routes["route_id"].isin(plan[plan["route_id"].str.startswith(f"L-{r.stop_id}-")]
                                                    ["route_id"])]
        rows = lm[lm["route_id"].isin(vans["route_id"])]
        assert int(r.delivered) == int(rows["delivered"].sum())
        assert int(r.delivered_cultural) == int(rows["delivered_cultural"].sum())


def test_loads_throughput_and_totals_count_every_parcel(tmp_path):
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra=OTHER))
    plan = plan_routes(scn, "shared", time_limit_s=2)
    write_plan(plan, tmp_path / "out", map_html=False)
    _check_flow(scn, tmp_path / "out")
    s = plan.summary()
    assert s["parcels_delivered"] == int(plan.plan_table().query("echelon == 'last_mile'")["delivered"].sum())


def test_demand_scale_two_doubles_the_flows(tmp_path):
    scn = scale_demand(load_scenario(write_scenario(tmp_path / "s", toml_extra=OTHER)), 2)
    assert scn.villages["other_in_per_week"].tolist() == [120 * k for k in range(1, 9)]
    plan = plan_routes(scn, "shared", time_limit_s=2)
    write_plan(plan, tmp_path / "out", map_html=False)
    _check_flow(scn, tmp_path / "out")     # a feasible plan, or every unserved stop listed with its reason


def test_summary_has_the_cultural_figures(tmp_path):
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra=OTHER))
    plan = plan_routes(scn, "shared", time_limit_s=2)
    s = plan.summary()
    lm = plan.plan_table().query("echelon == 'last_mile' and stop_kind != 'depot'")
    assert s["cultural_parcels_per_day"] == int(lm["delivered_cultural"].sum() + lm["picked_up_cultural"].sum()) > 0
    assert s["cost_per_parcel_cny"] == round(s["cost_cny"] / (s["parcels_delivered"] + s["parcels_picked_up"]), 3)
    # the same plan without the cultural parcels, solved: it costs no more than the plan with them
    assert plan.without_cultural_cost_cny is not None and 0 < plan.without_cultural_cost_cny <= s["cost_cny"]
    assert s["cultural_marginal_cost_cny_per_day"] == round(s["cost_cny"] - plan.without_cultural_cost_cny, 2)
    assert s["cultural_cost_per_parcel_cny"] == round(s["cultural_marginal_cost_cny_per_day"]
                                                      / s["cultural_parcels_per_day"], 3)
    # without other parcels the plan without cultural parcels is empty: no marginal cost
    bare = plan_routes(load_scenario(write_scenario(tmp_path / "t")), "shared", time_limit_s=2).summary()
    assert bare["cultural_marginal_cost_cny_per_day"] is None and bare["cultural_cost_per_parcel_cny"] is None
    assert bare["cultural_parcels_per_day"] == bare["parcels_delivered"] + bare["parcels_picked_up"]


def test_route_cli_demand_scale_two_in_compare_mode(tmp_path):
    """``route --demand-scale 2``: the written plans carry twice the flows (or list what they could not), and the
    shared and separate summaries give the cultural parcels' marginal cost."""
    path = write_scenario(tmp_path / "s", toml_extra=OTHER)
    r = run_cli("route", path, "--out", tmp_path / "out", "--no-map", "--quiet", "--time-limit", "2",
                "--demand-scale", "2")
    assert r.returncode == 0, r.stderr
    scn = scale_demand(load_scenario(path), 2)
    for mode in ("shared", "separate"):
        s = json.loads((tmp_path / "out" / mode / "summary.json").read_text(encoding="utf-8"))
        assert s["cultural_marginal_cost_cny_per_day"] is not None and s["cultural_parcels_per_day"] > 0
    _check_flow(scn, tmp_path / "out" / "shared")
    bad = run_cli("route", path, "--out", tmp_path / "bad", "--demand-scale", "-1")
    assert bad.returncode == 2 and "--demand-scale must be a number > 0" in bad.stderr + bad.stdout
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def test_separate_mode_tracks_every_cultural_parcel(tmp_path):
    """Each operator carries its share of the cultural and of the other parcels (each split by [routing.shares]):
    over the operators, the cultural parcels delivered and listed as unserved are exactly the villages' own."""
    scn = load_scenario(write_scenario(tmp_path / "s", toml_extra=OTHER))
    plan = plan_routes(scn, "separate", time_limit_s=2)
    t = plan.plan_table()
    lm = t[(t["echelon"] == "last_mile") & t["stop_kind"].isin(VILLAGE_KINDS)]
    v = scn.villages
    cin = {c: _daily(a) for c, a in zip(v["code"], v["parcels_in_per_week"])}
    oin = {c: _daily(a) for c, a in zip(v["code"], v["other_in_per_week"])}
    shares = plan.params.shares
    missed = plan.unserved_table()
    missed = missed[missed["stop_kind"].isin(VILLAGE_KINDS)]
    lost_cultural = sum(split_flow(cin[r.stop_id] + oin[r.stop_id], cin[r.stop_id], shares)[1][r.operator]
                        for r in missed.itertuples())
    assert int(lm["delivered_cultural"].sum()) + lost_cultural == sum(cin.values())
    assert int(lm["delivered"].sum()) + int(missed["delivery"].sum()) == sum(cin.values()) + sum(oin.values())
    assert (lm["delivered_cultural"] <= lm["delivered"]).all() and lm["operator"].nunique() > 1


def test_other_flows_from_a_workbook_with_chinese_headers(tmp_path):
    """villages.xlsx: 其他每周收件量 / 其他每周寄件量 read like the CSV; a bad cell names file, sheet, row, header."""
    from openpyxl import Workbook
    path = write_scenario(tmp_path / "s", toml_extra=OTHER)

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.title = "村名单"
        ws.append(["村代码", "村名称", "乡镇代码", "经度", "纬度", "常住人口", "其他每周收件量", "其他每周寄件量"])
        for r in rows:
            ws.append(r)
        wb.save(tmp_path / "s" / "villages.xlsx")

    rows = [[f"37078200100{k}", f"测试村{k}", "370782001", round(0.02 * (k - 1) + 119.30, 6), 36.0, 1000 * k,
             7 * k if k % 2 else None, 1 if k % 2 else None] for k in range(1, 9)]
    book(rows)
    path.write_text(path.read_text(encoding="utf-8").replace("villages.csv", "villages.xlsx"), encoding="utf-8")
    v = load_scenario(path).villages
    assert v["other_in_per_week"].tolist() == [7 * k if k % 2 else 60 * k for k in range(1, 9)]
    assert v["other_out_per_week"].tolist() == [1 if k % 2 else 12 * k for k in range(1, 9)]
    rows[4][7] = -1                      # the 5th village: header row 1 + 5 = row 6
    book(rows)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    errs = [p for p in exc.value.problems if p.severity == "error"]
    assert len(errs) == 1 and errs[0].row == 6 and errs[0].column == "其他每周寄件量" and "negative" in errs[0].message
    assert "villages.xlsx" in errs[0].file


def test_marginal_cost_of_plans_that_drop_different_stops_is_flagged(tmp_path):
    """P1 takes 200 parcels a day.  With 5·k other parcels in a day (180 in all) they fit; with the 63 cultural
    ones too some villages are dropped, so the marginal cost is flagged as not the cultural parcels' alone."""
    extra = "[demand]\nother_in_per_capita_week = 0.03\n"
    plan = plan_routes(load_scenario(write_scenario(tmp_path / "s", toml_extra=extra)), "shared", time_limit_s=2)
    assert set(plan.unserved_table()["reason_code"]) == {"station_capacity"}
    notes = [w for w in plan.summary()["warnings"] if "cultural_marginal_cost_cny_per_day compares" in w]
    assert notes == [f"shared: cultural_marginal_cost_cny_per_day compares plans that leave different stops "
                     f"unserved ({len(plan.unserved_table())} with the cultural parcels, 0 without): it is not the "
                     "cultural parcels' cost alone"]
    calm = plan_routes(load_scenario(write_scenario(tmp_path / "t", toml_extra=extra.replace("0.03", "0.001"))),
                       "shared", time_limit_s=2)      # 1·k other parcels a week: nothing is dropped
    assert not len(calm.unserved_table()) and calm.without_cultural_cost_cny is not None
    assert not [w for w in calm.summary()["warnings"] if "cultural_marginal" in w]
