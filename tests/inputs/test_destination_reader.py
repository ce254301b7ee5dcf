"""destinations.csv (the cultural destinations): read, checked, and every bad cell named by file, row and field."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import DESTINATION_HEADER as HEADER
from conftest import LAT, LON0, default_facilities, default_villages, destinations_scenario
from culture_logistics.errors import ScenarioError
from culture_logistics.inputs.readers import parse_days
from culture_logistics.inputs.scenario import Scenario, load_scenario

GOOD = [f'D1,密州文化超市,文化超市,370782001003,{LON0 + 0.05:.2f},{LAT},12,3,"1,4"',
        f"D2,测试村5农家书屋,library,370782001005,{LON0 + 0.08:.2f},{LAT},6,0,",
        f"D3,测试村2综合文化服务中心,综合文化服务中心,370782001002,{LON0 + 0.02:.2f},{LAT},4,1,周三"]


def scenario_with(folder, rows, header=HEADER, extra=""):
    return destinations_scenario(folder, rows, header=header, toml_extra=extra)


def problems_of(toml) -> str:
    with pytest.raises(ScenarioError) as e:
        load_scenario(toml)
    return str(e.value)


def test_read_with_kinds_days_and_villages(tmp_path):
    scn = load_scenario(scenario_with(tmp_path / "s", GOOD))
    d = scn.destinations
    assert list(d["id"]) == ["D1", "D2", "D3"]
    assert list(d["kind"]) == ["culture_store", "library", "cultural_centre"]
    assert list(d["days"]) == [(1, 4), (), (3,)]
    assert list(d["village_name"]) == ["测试村3", "测试村5", "测试村2"]
    assert list(d["township_code"]) == ["370782001"] * 3
    assert list(d["in_per_week"]) == [12, 6, 4] and list(d["out_per_week"]) == [3, 0, 1]
    s = scn.summary()
    assert s["destinations"] == 3 and s["villages"] == 8
    assert s["destinations_by_kind"] == {"culture_store": 1, "cultural_centre": 1, "library": 1}


def test_chinese_headers(tmp_path):
    header = "编号,名称,类型,所在村代码,经度,纬度,每周收件量,每周寄件量,收货日"
    scn = load_scenario(scenario_with(tmp_path / "s", GOOD, header=header))
    assert list(scn.destinations["days"]) == [(1, 4), (), (3,)]


@pytest.mark.parametrize("text, days", [("1,4", (1, 4)), ("", ()), ("4 1", (1, 4)), ("周一、周四", (1, 4)),
                                        ("Mon,Thu", (1, 4)), ("星期日", (7,)), ("1，3；5", (1, 3, 5))])
def test_parse_days(text, days):
    assert parse_days(text) == (days, "")


@pytest.mark.parametrize("text", ["14", "0", "1,1", "Monday-ish", "1.5"])
def test_parse_days_refuses(text):
    assert parse_days(text)[0] is None


@pytest.mark.parametrize("row, column, words", [
    (f"D9,x,shop,370782001003,{LON0:.2f},{LAT},1,0,", "kind", "unknown kind 'shop'"),
    (f"D9,x,libary,370782001003,{LON0:.2f},{LAT},1,0,", "kind", "did you mean 'library'"),
    (f'D9,x,library,370782001003,{LON0:.2f},{LAT},1,0,"1,9"', "days", "'9' is not a weekday 1–7"),
    (f'D9,x,library,370782001003,{LON0:.2f},{LAT},1,0,"2,2"', "days", "day 2 is listed twice"),
    (f"D9,x,library,37078200100,{LON0:.2f},{LAT},1,0,", "village_code", "is not 12 digits"),
    (f"D9,x,library,370782001003,{LON0:.2f},{LAT},-1,0,", "in_per_week", "-1 is negative"),
    (f"D9,x,library,370782001003,{LON0:.2f},{LAT},,0,", "in_per_week", "is empty"),
    (f"D1,x,library,370782001003,{LON0:.2f},{LAT},1,0,", "id", "duplicate destination id 'D1' (also on row 2)"),
    (f"D9,x,library,370782001003,{LAT},{LON0:.2f},1,0,", "lon", "lon and lat look swapped"),
])
def test_reader_errors_name_file_row_and_field(tmp_path, row, column, words):
    msg = problems_of(scenario_with(tmp_path / "s", GOOD + [row]))
    assert f"destinations.csv, row 5, column '{column}'" in msg, msg
    assert words in msg, msg


def test_cross_file_errors(tmp_path):
    rows = GOOD + [f"D4,x,library,370782001009,{LON0:.2f},{LAT},1,0,",       # no such village in villages.csv
                   f"370782001001,x,library,370782001001,{LON0:.2f},{LAT},1,0,",   # the id of a village
                   f"D6,x,library,370782001001,{LON0:.2f},{LAT + 0.5},1,0,",       # 55 km north of the county
                   f"D7,x,library,370782001001,{LON0:.2f},{LAT},1,0,7"]           # Sunday, with 6 delivery days
    msg = problems_of(scenario_with(tmp_path / "s", rows))
    assert "destinations.csv, row 5, column 'village_code': village_code 370782001009 of destination D4 x is " \
           "not in" in msg and "villages.csv" in msg
    assert "row 6, column 'id': destination id 370782001001 is also a village code" in msg
    assert "row 7, column 'lon': destination D6 x at (119.30000, 36.50000) is" in msg and "outside the county" in msg
    assert "row 8, column 'days': days 7: day 7 is not a delivery day ([routing] delivery_days_per_week = 6)" \
           in msg
    # with 7 delivery days Sunday is one
    ok = scenario_with(tmp_path / "t", GOOD + [rows[-1]], extra="[routing]\ndelivery_days_per_week = 7\n")
    assert load_scenario(ok).destinations["days"].iloc[-1] == (7,)


def test_missing_column_and_empty_table(tmp_path):
    msg = problems_of(scenario_with(tmp_path / "a", GOOD, header=HEADER.replace("kind", "type")))
    assert "destinations.csv, row 1, column 'kind': missing column 'kind'" in msg
    msg = problems_of(scenario_with(tmp_path / "b", []))
    assert "destinations.csv: has no destination rows" in msg


def test_from_frames_takes_destinations():
    def frame(header, rows):
        return pd.DataFrame([r.split(",") for r in rows], columns=header.split(","))
    v = frame("code,name,township_code,lon,lat,population", default_villages())
    f = frame("id,name,operator,tier,lon,lat,brand,capacity_per_day", default_facilities())
    d = pd.DataFrame([["D1", "密州文化超市", "文化超市", "370782001003", LON0 + 0.05, LAT, 12, 3, "1,4"]],
                     columns=HEADER.split(","))
    scn = Scenario.from_frames(v, f, destinations=d)
    assert scn.destinations["kind"].tolist() == ["culture_store"] and scn.destinations["days"].iloc[0] == (1, 4)
    bad = d.assign(kind="shop")
    with pytest.raises(ScenarioError) as e:
        Scenario.from_frames(v, f, destinations=bad)
    assert "destinations (DataFrame), row 0, column 'kind': unknown kind 'shop'" in str(e.value)


def test_demand_scale_scales_destinations(tmp_path):
    scn = load_scenario(scenario_with(tmp_path / "s", GOOD, extra="[demand]\nscale = 2\n"))
    assert list(scn.destinations["in_per_week"]) == [24, 12, 8]


def test_xlsx_with_title_row_and_chinese_headers(tmp_path):
    from openpyxl import Workbook
    toml = destinations_scenario(tmp_path / "s", [])
    toml.write_text(toml.read_text(encoding="utf-8").replace("destinations.csv", "destinations.xlsx"),
                    encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = "文化目的地"
    ws.append(["诸城市文化目的地（2026年）"])
    ws.append(["编号", "名称", "类型", "所在村代码", "经度", "纬度", "每周收件量", "每周寄件量", "收货日"])
    ws.append(["D1", "密州文化超市", "文化超市", "370782001003", LON0 + 0.05, LAT, 12, 3, "1,4"])
    ws.append(["D2", "书屋", "农家书屋", 370782001005, LON0 + 0.08, LAT, "六", 0, None])   # a code saved as a number
    wb.save(tmp_path / "s" / "destinations.xlsx")
    msg = problems_of(toml)
    assert "destinations.xlsx, sheet '文化目的地', row 4, column '每周收件量': '六' is not a number" in msg
    ws["G4"] = 6
    wb.save(tmp_path / "s" / "destinations.xlsx")
    d = load_scenario(toml).destinations
    assert d["village_code"].tolist() == ["370782001003", "370782001005"] and d["days"].tolist() == [(1, 4), ()]
