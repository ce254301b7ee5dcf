"""Loading and validating scenarios: every bad-input case named in the foundation issue."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import (
    LAT,
    LON0,
    default_facilities,
    default_villages,
    run_cli,
    write_scenario,
)
from culture_logistics import ScenarioError, load_scenario


def problems_of(path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return exc.value.problems


def the_error(path):
    errors = [p for p in problems_of(path) if p.severity == "error"]
    assert errors, "expected at least one error"
    return errors


def test_tiny_scenario_loads(tiny):
    s = load_scenario(tiny)
    assert len(s.villages) == 8 and len(s.facilities) == 3
    assert s.villages["code"].tolist()[0] == "370782001001"
    assert s.villages["township_name"].unique().tolist() == ["密州街道"]  # from the division list
    # parcels derived from population: ceil(pop * 0.010) in, ceil(pop * 0.002) out
    assert s.villages["parcels_in_per_week"].tolist()[:2] == [10, 20]
    assert s.villages["parcels_out_per_week"].tolist()[:2] == [2, 4]
    net = s.summary()["network"]
    assert net["nodes"] == 21 and net["edges"] == 40 and net["components"] == 1
    # 20 segments of 0.01° lon at lat 36: 20 × 900.6 m ≈ 18.0 km
    assert net["road_km"] == pytest.approx(18.0, abs=0.1)


def test_missing_file(tmp_path):
    p = write_scenario(tmp_path / "s")
    (tmp_path / "s" / "villages.csv").unlink()
    errs = the_error(p)
    assert any("villages.csv" in e.file and "not found" in e.message for e in errs)


def test_missing_and_misspelt_column(tmp_path):
    p = write_scenario(tmp_path / "s", village_header="code,name,township_code,lon,lat,popuation")
    e = the_error(p)[0]
    assert e.file.endswith("villages.csv") and e.row == 1 and e.column == "population"
    assert "popuation" in e.hint  # suggests renaming the misspelt column


@pytest.mark.parametrize("lon,expect", [("abc", "not a number"), ("", "is empty"), ("nan", "not a finite")])
def test_bad_coordinate(tmp_path, lon, expect):
    v = default_villages()
    v[2] = f"370782001003,测试村3,370782001,{lon},{LAT},3000"
    e = the_error(write_scenario(tmp_path / "s", villages=v))
    assert any(x.row == 4 and x.column == "lon" and expect in x.message for x in e)


def test_swapped_lon_lat_outside_china(tmp_path):
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782001,{LAT},{LON0},1000"
    e = the_error(write_scenario(tmp_path / "s", villages=v))
    assert e[0].row == 2 and "outside China" in e[0].message and "swap" in e[0].hint


def test_far_outside_county(tmp_path):
    v = default_villages()
    v[1] = "370782001002,测试村2,370782001,117.07,36.65,2000"  # 历下区, Jinan: ~215 km away
    e = the_error(write_scenario(tmp_path / "s", villages=v))
    assert e[0].row == 3 and "outside the county" in e[0].message and "370782001002" in e[0].message


def test_duplicate_codes_and_ids(tmp_path):
    v = default_villages()
    v[3] = v[2]
    f = default_facilities() + [default_facilities()[1]]
    e = the_error(write_scenario(tmp_path / "s", villages=v, facilities=f))
    msgs = [(x.file.split("/")[-1], x.row, x.message) for x in e]
    assert ("villages.csv", 5, "duplicate village code '370782001003' (also on row 4)") in msgs
    assert any(m[0] == "facilities.csv" and m[1] == 5 and "duplicate facility id 'P1'" in m[2] for m in msgs)


def test_township_code_mismatch(tmp_path):
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782002,{LON0},{LAT},1000"
    e = the_error(write_scenario(tmp_path / "s", villages=v))
    assert e[0].column == "township_code" and e[0].row == 2 and "370782001" in e[0].hint


def test_village_code_that_does_not_exist(tmp_path):
    v = default_villages()
    v[0] = f"370782001999,测试村1,370782001,{LON0},{LAT},1000"
    e = the_error(write_scenario(tmp_path / "s", villages=v))
    assert e[0].row == 2 and "does not exist" in e[0].message
    # accepted when the user says the codes are newer than the list
    s = load_scenario(write_scenario(tmp_path / "t", villages=v, toml_extra="[validation]\nallow_unknown_codes = true"))
    assert "370782001999" in set(s.villages["code"])


def test_unknown_operator_and_tier(tmp_path):
    f = default_facilities()
    f[1] = f"P1,邮政站,postl,twnship,{LON0},{LAT},,200"
    e = the_error(write_scenario(tmp_path / "s", facilities=f))
    assert any(x.column == "operator" and "'postal'" in x.hint for x in e)
    assert any(x.column == "tier" and "'township'" in x.hint for x in e)


def test_negative_population_and_capacity(tmp_path):
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782001,{LON0},{LAT},-5"
    f = default_facilities()
    f[2] = f"C1,快递站,courier,village,{LON0},{LAT},中通,-1"
    e = the_error(write_scenario(tmp_path / "s", villages=v, facilities=f))
    assert any(x.column == "population" and "negative" in x.message for x in e)
    assert any(x.column == "capacity_per_day" and "negative" in x.message for x in e)


def test_road_file_without_lines(tmp_path):
    pts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [LON0, LAT]}}]}
    e = the_error(write_scenario(tmp_path / "s", roads=pts))
    assert e[0].file.endswith("roads.geojson") and "no line geometries" in e[0].message


def test_malformed_toml(tmp_path):
    p = write_scenario(tmp_path / "s")
    p.write_text('[county]\nadcode = "370782\n', encoding="utf-8")
    e = the_error(p)
    assert e[0].file.endswith("scenario.toml") and "TOML" in e[0].message and "line 2" in e[0].message


def test_unreachable_village_is_a_warning(tmp_path):
    v = default_villages()
    v[7] = f"370782001008,远村,370782001,{LON0 + 0.14},{LAT + 0.05},8000"  # 5.5 km north of the road
    s = load_scenario(write_scenario(tmp_path / "s", villages=v))
    w = [p for p in s.warnings if "cannot reach the road network" in p.message]
    assert len(w) == 1 and w[0].row == 9 and "370782001008" in w[0].message


def test_every_problem_reported_not_only_the_first(tmp_path):
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782001,abc,{LAT},1000"
    v[1] = f"370782001002,测试村2,370782001,{LON0},{LAT},-3"
    f = default_facilities()
    f[0] = f"HUB,中心,sharde,county,{LON0},{LAT},,"
    e = the_error(write_scenario(tmp_path / "s", villages=v, facilities=f))
    assert len(e) == 3


def test_gbk_csv_and_bom_keep_codes(tmp_path):
    s = load_scenario(write_scenario(tmp_path / "gbk", encoding="gb18030"))
    assert s.villages["name"].iloc[0] == "测试村1"
    s = load_scenario(write_scenario(tmp_path / "bom", encoding="utf-8-sig"))
    assert s.villages["code"].iloc[0] == "370782001001" and s.villages["township_code"].iloc[0] == "370782001"


def test_gcj02_declared_is_converted(tmp_path):
    from culture_logistics.geo.coords import wgs84_to_gcj02

    g_lon, g_lat = wgs84_to_gcj02(np.array([LON0]), np.array([LAT]))
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782001,{g_lon[0]:.7f},{g_lat[0]:.7f},1000"
    p = write_scenario(tmp_path / "s", villages=v, roads=None,
                       toml_extra="")
    text = p.read_text(encoding="utf-8").replace('name = "诸城市"', 'name = "诸城市"\ncrs = "gcj02"')
    p.write_text(text, encoding="utf-8")
    s = load_scenario(p)
    row = s.villages.iloc[0]
    # back to WGS-84 within 1e-6° (≈ 0.1 m); the GCJ-02 shift here is several hundred metres
    assert abs(row["lon"] - LON0) < 1e-6 and abs(row["lat"] - LAT) < 1e-6
    assert abs(g_lon[0] - LON0) > 1e-3


@pytest.mark.slow
def test_cli_validate_invalid_exits_2_without_traceback(tmp_path):
    v = default_villages()
    v[0] = f"370782001001,测试村1,370782001,abc,{LAT},1000"
    p = write_scenario(tmp_path / "s", villages=v)
    r = run_cli("validate", p)
    assert r.returncode == 2
    assert "villages.csv, row 2, column 'lon'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_cli_validate_valid_prints_summary(tiny):
    r = run_cli("validate", tiny)
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout and "8 villages" in r.stdout and "21 nodes" in r.stdout
    r = run_cli("validate", tiny, "--json")
    assert json.loads(r.stdout)["villages"] == 8


@pytest.mark.slow
def test_cli_missing_scenario_file(tmp_path):
    r = run_cli("validate", tmp_path / "nope.toml")
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
