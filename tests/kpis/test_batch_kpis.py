"""The province batch writes each county's kpis.csv and province_kpis.csv (one county run in-process: run_county
is the task a Dask worker runs)."""
from __future__ import annotations

import csv

from culture_logistics.batch.county import run_county
from culture_logistics.batch.jobs import plan_counties
from culture_logistics.batch.results import PROVINCE_KPI_COLUMNS, kpi_table
from culture_logistics.reports.writers import write_csv


def test_county_task_writes_kpis_and_the_province_table(tmp_path):
    (job,) = plan_counties("37", counties="371322")
    outcome = run_county(job, tmp_path, steps=("coverage",))
    assert outcome.status == "ok", outcome.failure
    with open(tmp_path / "371322" / "kpis.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["code"]: r for r in csv.DictReader(fh)}
    # 371322: 121 of its 125 villages within 3 km of some operator (village_reach.csv reached_any)
    assert (rows["K1"]["numerator"], rows["K1"]["denominator"], rows["K1"]["value"]) == ("121", "125", "96.8")
    assert rows["K2"]["value"] == "" and "no route plan" in rows["K2"]["note"]   # no routing step: undefined, not 0
    table = kpi_table([outcome], tmp_path)
    assert list(table.columns) == PROVINCE_KPI_COLUMNS
    assert set(table["adcode"]) == {"371322"} and len(table) == len(rows)
    write_csv(table, tmp_path / "province_kpis.csv")
    with open(tmp_path / "province_kpis.csv", encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert got[0]["code"] == "K1" and got[0]["numerator"] == "121" and got[0]["name"] == job.name
