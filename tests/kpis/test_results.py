"""The indicators from the result objects (KpiInputs.from_results): a daily shared plan and a weekly plan of the
conftest county (8 villages on one road, a night trunk at 04:00, parcels at the county centre at 06:00)."""
from __future__ import annotations

import pytest

from conftest import write_scenario
from culture_logistics.config.routing import RoutingParams
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.kpis.indicators import KPI_COLUMNS, KpiInputs, compute_kpis
from culture_logistics.routing.plan import plan_routes
from culture_logistics.routing.weekly import plan_week


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    scn = load_scenario(write_scenario(tmp_path_factory.mktemp("k") / "s"))
    return scn, compute_coverage(scn), RoutingParams.from_scenario(scn)


def test_daily_plan(county):
    scn, cov, params = county
    t = compute_kpis(KpiInputs.from_results(scn, cov, plan_routes(scn, "shared", params)))
    assert list(t.frame().columns) == KPI_COLUMNS
    assert t.value("K1") == 75.0 and cov.summary()["villages_reached_any"] == 6
    assert t.value("K2") == 100.0 and t.value("K12") == 0
    # every parcel misses the 04:00 trunk: next day (26 h +), Saturday's wait for Monday (50 h +)
    assert (t.value("K7-24h"), t.value("K7-48h"), t.value("K7-72h")) == (0.0, 83.33, 100.0)
    assert t.value("K8-6") == 100.0                     # a daily plan visits every village on all 6 days
    assert t.value("K6") == 0 and "no [[bus_line]]" in t.rows[[r["code"] for r in t.rows].index("K6")]["note"]
    assert t.value("K5") == 2                           # 中国邮政 (P1) and 中通 (C1's brand)
    assert (t.value("K4"), t.value("K4-shared"), t.value("K3")) == (100.0, 0.0, 0.0)


def test_weekly_plan_lead_times_count_the_days_to_the_visit(county):
    scn, cov, params = county
    week = plan_week(scn, "shared", params)
    t = compute_kpis(KpiInputs.from_results(scn, cov, week))
    plan = week.plan_table()
    # 测试村1 is visited on Wednesday and Saturday (visits.csv); its service starts on those days
    v1 = plan[plan["stop_id"] == "370782001001"].set_index("day")["service_start_min"]
    assert sorted(v1.index) == [3, 6]
    wed, sat = float(v1[3]), float(v1[6])
    # trunk 04:00 < 06:00 arrival, so a parcel never rides the trunk of its arrival day:
    # Mon → Wed (2 d), Tue → Wed (1 d), Wed → Sat (3 d), Thu → Sat (2 d), Fri → Sat (1 d), Sat → next Wed (4 d)
    want = [2 * 1440 + wed - 360, 1440 + wed - 360, 3 * 1440 + sat - 360, 2 * 1440 + sat - 360,
            1440 + sat - 360, 4 * 1440 + wed - 360]
    lt = t.lead_times.set_index("village_code").loc["370782001001"]
    assert lt["inbound_lead_max_h"] == pytest.approx(round(max(want) / 60, 2))
    assert lt["inbound_lead_mean_h"] == pytest.approx(round(sum(want) / 6 / 60, 2))
    assert lt["visits_per_week"] == 2 and not lt["within_72h"]            # 98 h on Saturday's parcels
    # K8: the weekly plan's own visits per village
    counts = week.visits_table()["visits_per_week"].value_counts()
    for k, n in counts.items():
        assert t.value(f"K8-{k}") == pytest.approx(round(100 * n / 8, 2))


def test_report_explains_a_zero_24h_rate_under_the_night_trunk(county, tmp_path):
    from culture_logistics.reports.kpis import kpi_section

    scn, cov, params = county
    rows = compute_kpis(KpiInputs.from_results(scn, cov, plan_routes(scn, "shared", params))).rows
    assert "K7-24h is 0: the trunk leaves before" in kpi_section(rows, "en")   # 04:00 trunk, 06:00 arrivals
    assert "24 小时送达率为 0" in kpi_section(rows, "zh")
    # inbound_arrival set: the trunk waits for the parcels, which arrive the same day — nothing to explain
    toml = write_scenario(tmp_path / "w", toml_extra='[routing]\ninbound_arrival = "06:00"\n')
    scn2 = load_scenario(toml)
    t2 = compute_kpis(KpiInputs.from_results(scn2, compute_coverage(scn2), plan_routes(scn2, "shared")))
    assert t2.value("K7-24h") == 100.0
    assert "K7-24h is 0" not in kpi_section(t2.rows, "en") and "24 小时送达率为 0" not in kpi_section(t2.rows, "zh")
