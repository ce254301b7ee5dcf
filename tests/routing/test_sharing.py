"""Fair cost sharing (culture_logistics.routing.sharing): coalitions, Shapley value, core, outputs.

The small county is conftest's straight road (a vertex every SEG metres, 36 km/h): the county hub at
vertex 10, the postal station P1 at vertex 0, a near village at vertex 1 with 2 parcels a day and a far
one at vertex 5 with 1.  With shares postal 0.6 / courier 0.4 the 2 parcels split 1 + 1 and the single
parcel goes to postal (largest remainder), so the courier alone serves only the near village, while
postal alone and both together drive the same routes.  Costs by hand (default vans: trunk 320 CNY + 1.5
CNY/km, last mile 220 CNY + 0.75 CNY/km): courier = 320 + 1.5·20·SEG/1000 + 220 + 0.75·2·SEG/1000; postal
= both = 320 + 1.5·20·SEG/1000 + 220 + 0.75·10·SEG/1000; Shapley: courier = courier/2, postal = both − that.
"""
from __future__ import annotations

import itertools
import json
import math

import pandas as pd
import pytest
from pyproj import Geod

from conftest import LAT, LON0, ROOT, STEP, run_cli, write_scenario

SEG = Geod(ellps="WGS84").inv(LON0, LAT, LON0 + STEP, LAT)[2]
VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"


def small_county(folder):
    vill = [f"370782001001,兴华社区,370782001,{LON0 + STEP:.6f},{LAT},1000,2,0",
            f"370782001002,建国社区,370782001,{LON0 + 5 * STEP:.6f},{LAT},1000,1,0"]
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
           f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,"]
    routing = ("[routing]\ndelivery_days_per_week = 1\nservice_min = 5\nservice_min_per_parcel = 0\n"
               "time_limit_s = 0.5\nshares = { postal = 0.6, supply_coop = 0.0, courier = 0.4 }\n")
    return write_scenario(folder, villages=vill, facilities=fac, village_header=VHEADER, toml_extra=routing)


def shapley_by_orderings(players, cost) -> dict:
    """The Shapley value as the mean marginal cost over every order of arrival (independent of the
    subset-weight formula the library uses)."""
    total = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        before = frozenset()
        for p in order:
            total[p] += cost[before | {p}] - (cost[before] if before else 0.0)
            before = before | {p}
    return {p: v / len(orders) for p, v in total.items()}


# ------------------------------------------------------------------------------------------------ the formulas
def test_shapley_of_the_airport_game():
    """Runway lengths 1, 2, 3: each segment is shared by those who need it (Littlechild & Owen 1973):
    a = 1/3, b = 1/3 + 1/2, c = 1/3 + 1/2 + 1."""
    from culture_logistics.routing.sharing import shapley_values

    need = {"a": 1.0, "b": 2.0, "c": 3.0}
    cost = {frozenset(s): max(need[p] for p in s) for k in (1, 2, 3) for s in itertools.combinations(need, k)}
    phi = shapley_values(list(need), cost)
    assert phi == pytest.approx({"a": 1 / 3, "b": 5 / 6, "c": 11 / 6})
    assert phi == pytest.approx(shapley_by_orderings(list(need), cost))


def test_rounding_to_the_fen_keeps_the_total():
    from culture_logistics.routing.sharing import round_to_fen

    assert round_to_fen({"a": 100 / 3, "b": 100 / 3, "c": 100 / 3}, 100.0, ["a", "b", "c"]) == \
        {"a": 33.34, "b": 33.33, "c": 33.33}
    got = round_to_fen({"a": 10.006, "b": 10.006, "c": 10.008}, 30.02, ["a", "b", "c"])
    assert got == {"a": 10.01, "b": 10.0, "c": 10.01}  # the 2 fen left: c, then a before b (a tie, in order)
    assert round(sum(got.values()), 2) == 30.02


def test_core_and_noise_checks_find_what_they_should():
    from culture_logistics.routing.sharing import core_violations, noise_checks

    P, C, PC = frozenset(["postal"]), frozenset(["courier"]), frozenset(["postal", "courier"])
    cols = [P, C, PC]
    cost = {P: 60.0, C: 50.0, PC: 80.0}
    assert core_violations({"postal": 40.0, "courier": 40.0}, cost, cols) == []
    v = core_violations({"postal": 65.0, "courier": 15.0}, cost, cols)
    assert [x["coalition"] for x in v] == ["postal"] and v[0]["excess"] == 5.0

    class Plan:
        unserved = []

    plans = dict.fromkeys(cols, Plan())
    kinds = {(n["kind"], n["coalition"]) for n in noise_checks({P: 90.0, C: 20.0, PC: 85.0}, plans, cols)}
    assert kinds == {("non_monotone", "postal")}
    kinds = {(n["kind"], n["coalition"]) for n in noise_checks({P: 30.0, C: 20.0, PC: 55.0}, plans, cols)}
    assert kinds == {("super_additive", "postal+courier")}


# ------------------------------------------------------------------------------------------------ a county by hand
def test_shares_on_a_county_counted_by_hand(tmp_path):
    """In process (route --sharing runs the same run_routing; the CLI itself is exercised by the slow test)."""
    from culture_logistics.app.routing import run_routing
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import summary_lines

    out = tmp_path / "out"
    plan, _ = run_routing(load_scenario(small_county(tmp_path / "c")), "shared", out, map_html=False, sharing=True)
    trunk = 320 + 1.5 * 20 * SEG / 1000
    courier = round(trunk + 220 + 0.75 * 2 * SEG / 1000, 2)
    both = round(trunk + 220 + 0.75 * 10 * SEG / 1000, 2)
    co = pd.read_csv(out / "coalitions.csv", encoding="utf-8-sig").set_index("coalition")
    assert list(co.columns) == ["operators", "cost", "vehicles", "km"]
    assert list(co.index) == ["postal", "courier", "postal+courier"]  # supply_coop carries nothing here
    assert co.at["courier", "cost"] == pytest.approx(courier, abs=0.02)
    assert co.at["postal", "cost"] == pytest.approx(both, abs=0.02)
    assert co.at["postal+courier", "cost"] == pytest.approx(both, abs=0.02)
    assert co.at["postal+courier", "operators"] == "邮政、快递"
    cs = pd.read_csv(out / "cost_sharing.csv", encoding="utf-8-sig").set_index("operator")
    assert list(cs.columns) == ["parcels", "standalone_cost", "shapley_share", "proportional_share",
                                "saving_vs_standalone_pct", "in_core"]
    assert cs.at["courier", "shapley_share"] == pytest.approx(co.at["courier", "cost"] / 2, abs=0.006)
    assert round(cs["shapley_share"].sum(), 2) == co.at["postal+courier", "cost"]
    assert (cs.at["postal", "parcels"], cs.at["courier", "parcels"]) == (2, 1)
    assert cs.at["postal", "proportional_share"] == pytest.approx(both * 2 / 3, abs=0.006)
    assert cs["in_core"].all()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cost_sharing"]["in_core"] is True
    assert summary["cost_sharing"]["grand_coalition_cost_cny"] == summary["cost_cny"]
    assert any("Shapley shares are in the core" in line for line in summary_lines(plan))
    assert (out / "cost_sharing.xlsx").is_file()


# ------------------------------------------------------------------------------------------------ an embedded county
@pytest.mark.slow
def test_compare_shares_the_shared_cost_on_an_embedded_county(tmp_path):
    out = tmp_path / "cmp"
    res = run_cli("route", "--lang", "en", "371322", "--mode", "compare", "--time-limit", "0.3", "--no-map", "--quiet", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Shapley shares" in res.stdout
    shared_cost = json.loads((out / "shared" / "summary.json").read_text(encoding="utf-8"))["cost_cny"]
    routes = pd.read_csv(out / "shared" / "routes_summary.csv", encoding="utf-8-sig")
    assert round(routes["cost"].sum(), 2) == shared_cost
    co = pd.read_csv(out / "coalitions.csv", encoding="utf-8-sig")
    cs = pd.read_csv(out / "cost_sharing.csv", encoding="utf-8-sig").set_index("operator")
    assert len(co) == 7 and list(cs.index) == ["postal", "supply_coop", "courier"]
    # the Shapley shares add up to the shared plan's cost to the fen, and so do the proportional ones
    assert round(cs["shapley_share"].sum() * 100) == round(shared_cost * 100)
    assert round(cs["proportional_share"].sum() * 100) == round(shared_cost * 100)
    # nobody pays more than alone
    assert (cs["shapley_share"] <= cs["standalone_cost"] + 1e-9).all()
    # recompute the shares from coalitions.csv alone, by orderings
    cost = {frozenset(c.split("+")): v for c, v in zip(co["coalition"], co["cost"])}
    assert cost[frozenset(["postal", "supply_coop", "courier"])] == shared_cost
    phi = shapley_by_orderings(list(cs.index), cost)
    for op in cs.index:
        assert cs.at[op, "shapley_share"] == pytest.approx(phi[op], abs=0.011)  # rounded to the fen
        assert cs.at[op, "standalone_cost"] == cost[frozenset([op])]
        assert cs.at[op, "saving_vs_standalone_pct"] == pytest.approx(
            100 * (cost[frozenset([op])] - cs.at[op, "shapley_share"]) / cost[frozenset([op])], abs=0.01)
    # the core, checked here on every coalition
    in_core = all(sum(cs.at[op, "shapley_share"] for op in c) <= v + 0.005 * len(c) for c, v in cost.items())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["cost_sharing"]
    assert summary["in_core"] is in_core and bool(cs["in_core"].all()) is in_core
    assert summary["shapley_sum_cny"] == shared_cost
    # the parcels: every operator's share of the day's parcels, together the shared plan's
    p = json.loads((out / "shared" / "summary.json").read_text(encoding="utf-8"))
    assert cs["parcels"].sum() == p["parcels_delivered"] + p["parcels_picked_up"]
    # non-monotone pairs are reported, never hidden
    for a, va in cost.items():
        for b, vb in cost.items():
            if a < b and va > vb + 0.005:
                assert any(n["kind"] == "non_monotone" and set(n["coalition"].split("+")) == a
                           for n in summary["noise"])
    assert math.isfinite(summary["grand_coalition_cost_cny"]) and (ROOT / "README.md").is_file()


def test_compare_plans_coalitions_only_when_cost_sharing_is_asked_for(tmp_path):
    """``route --mode compare`` (sharing None) plans the coalitions; the batch's comparison (sharing False)
    plans none, and its separate, shared and 邮快合作 plans are byte for byte the same."""
    from culture_logistics.app.routing import run_routing
    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.progress import Collector

    scn = load_scenario(small_county(tmp_path / "c"))
    on, off = Collector(), Collector()
    res_on, _ = run_routing(scn, "compare", tmp_path / "on", map_html=False, progress=on)
    res_off, _ = run_routing(scn, "compare", tmp_path / "off", map_html=False, progress=off, sharing=False)

    def coalition_lines(c):
        return sorted(f["message"] for _, f in c.events if f.get("message", "").startswith("coalition "))

    # postal and courier alone (the pair is the shared plan itself): two coalitions planned, none without sharing
    assert coalition_lines(on) == ["coalition courier: planning its parcels on the shared network",
                                   "coalition postal: planning its parcels on the shared network"]
    assert coalition_lines(off) == []
    assert res_off.cost_sharing is None and "cost_sharing" not in res_off.summary()
    assert res_on.cost_sharing.cost[frozenset(["postal", "courier"])] == round(res_on.shared.routes["cost"].sum(), 2)
    assert (tmp_path / "on" / "coalitions.csv").is_file() and not (tmp_path / "off" / "coalitions.csv").exists()
    for mode in ("separate", "shared", "postal_courier"):
        for name in ("route_plan.csv", "routes_summary.csv", "unserved.csv"):
            assert (tmp_path / "on" / mode / name).read_bytes() == (tmp_path / "off" / mode / name).read_bytes()
    assert (tmp_path / "on" / "comparison.csv").read_bytes() == (tmp_path / "off" / "comparison.csv").read_bytes()
