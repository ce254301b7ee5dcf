"""The whole parcel flow in the county report (issue 20 item 1): the calibrated [demand] defaults, the published
band of county co-delivery savings beside ours, and the peak plan (every flow × [demand] peak_scale)."""
from __future__ import annotations

import json
import math

import pandas as pd

from conftest import LON0, write_scenario
from culture_logistics.app.routing import PEAK_DIR, peak_stage
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.peak import band_html, peak_figures, peak_html, saving_band


def test_default_rates_fill_the_other_parcels(tmp_path):
    """Without other_* columns and without [demand], a village gets ⌈population × 0.095⌉ other parcels in and
    ⌈population × 0.025⌉ out a week (the calibrated defaults, README "The whole parcel flow")."""
    path = write_scenario(tmp_path / "s", toml_extra="[demand]\npeak_scale = 2.0\n")   # [demand] without rates
    scn = load_scenario(path)
    v = scn.villages.set_index("code")
    # 测试村k has 1000·k residents: 95·k in, 25·k out
    for k in range(1, 9):
        row = v.loc[f"37078200100{k}"]
        assert row["other_in_per_week"] == math.ceil(1000 * k * 0.095) == 95 * k
        assert row["other_out_per_week"] == 25 * k


def test_saving_band_positions_and_words():
    """15–32 % from the published cases; a saving below, within or above it gets the matching explanation."""
    for pct, pos in ((6.4, "below"), (15.0, "within"), (24.9, "within"), (32.0, "within"), (53.0, "above")):
        band = saving_band({"saving_pct": pct, "saving_vs_postal_courier_pct": 10.6})
        assert (band["low_pct"], band["high_pct"], band["position"]) == (15.0, 32.0, pos)
        assert [c["saving_pct"] for c in band["cases"]] == [15.0, 20.0, 25.0, 32.0]
        assert all(c["url"].startswith("http") for c in band["cases"])
    en = band_html(saving_band({"saving_pct": 6.4, "saving_vs_postal_courier_pct": 10.6}), "en")
    assert "15–32 %" in en and "6.4 % against separate" in en and "10.6 % against 邮快合作" in en
    assert "Below the band" in en and "www.mdpi.com" in en and "http" not in en
    zh = band_html(saving_band({"saving_pct": 53.0, "saving_vs_postal_courier_pct": None}), "zh")
    assert "15–32%" in zh and "高于公开区间" in zh and "对邮快合作" not in zh
    assert band_html(saving_band({"saving_pct": None}), "en") == ""


def test_peak_plan_doubles_every_flow_and_lists_what_it_cannot_serve(tmp_path):
    """8 villages of 1000·k residents (cultural parcels only: 10·k in, 2·k out a week), peak_scale 2: the peak
    plan's villages want Σ⌈20·k / 6⌉ = 4+7+10+14+17+20+24+27 = 123 parcels a day; the station P1 (capacity 100
    a day) can send out at most 100, so what is delivered plus what is listed unserved is 123, and every
    unserved stop has a reason."""
    path = write_scenario(tmp_path / "s", toml_extra="[demand]\nother_in_per_capita_week = 0.0\n"
                                                     "other_out_per_capita_week = 0.0\npeak_scale = 2.0\n"
                                                     "[routing]\ndelivery_days_per_week = 6\n",
                          facilities=[f"HUB,诸城县级共配中心,shared,county,{LON0 + 0.10:.2f},35.99,,",
                                      f"P1,邮政站,postal,township,{LON0:.2f},35.99,,100"])
    scn = load_scenario(path)
    lines = []
    s = peak_stage(scn, tmp_path / "out", None, lines.append, lang="en")
    out = tmp_path / "out" / PEAK_DIR
    assert s["peak_scale"] == 2.0 and s["demand_scale"] == 2.0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["peak_scale"] == 2.0
    plan = pd.read_csv(out / "route_plan.csv", dtype={"stop_id": str})
    uns = pd.read_csv(out / "unserved.csv", dtype={"stop_id": str})
    lm = plan[(plan["echelon"] == "last_mile") & plan["stop_kind"].isin(["village_point", "village_centre"])]
    lm_uns = uns[uns["echelon"] == "last_mile"]
    assert int(lm["delivered"].sum()) == s["parcels_delivered"] <= 100
    assert int(lm["delivered"].sum()) + int(lm_uns["delivery"].sum()) == 123
    assert len(lm_uns) == s["unserved_stops"] > 0 and lm_uns["reason_code"].notna().all()
    assert set(lm_uns["reason_code"]) <= {"station_capacity", "fleet_too_small"}
    assert lines[0].startswith("[peak] peak (every flow ×2) shared:") and "unserved" in lines[0]
    # the report's lines: the figures of the summary, each unserved stop's reason counted
    fig = peak_figures(s, uns.fillna("").astype(str).to_dict("records"))
    html = peak_html({"shared": {"vehicles": 1, "distance_km": 10.0, "cost_cny": 300.0, "cost_per_parcel_cny": 4.0}},
                      fig, "en")
    assert f"{s['vehicles']} vehicles" in html and f"{s['unserved_stops']} stop(s) not served" in html
    assert sum(fig["unserved_by_reason"].values()) == s["unserved_stops"]
