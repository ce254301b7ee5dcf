"""Scenario.from_frames: in-memory tables checked exactly like the files of the tiny county (conftest)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from conftest import LAT, LON0, STEP
from culture_logistics import Scenario, ScenarioError, load_scenario
from culture_logistics.network.roads import RoadNetwork


def tiny_frames():
    """The conftest county's villages, facilities and road as (Geo)DataFrames, values as a notebook holds them."""
    villages = pd.DataFrame({
        "code": [f"37078200100{k}" for k in range(1, 9)],
        "name": [f"测试村{k}" for k in range(1, 9)],
        "township_code": ["370782001"] * 8,
        "lon": [round(LON0 + STEP * 2 * (k - 1), 6) for k in range(1, 9)],
        "lat": [LAT] * 8,
        "population": [1000 * k for k in range(1, 9)],
    })
    facilities = pd.DataFrame({
        "id": ["HUB", "P1", "C1"],
        "name": ["诸城县级共配中心", "邮政站", "快递站"],
        "operator": ["shared", "postal", "courier"],
        "tier": ["county", "township", "village"],
        "lon": [round(LON0 + 0.10, 2), round(LON0, 2), round(LON0 + 0.14, 2)],
        "lat": [LAT] * 3,
        "brand": [None, None, "中通"],
        "capacity_per_day": [float("nan"), 200, 50],
    })
    road = LineString([(round(LON0 + STEP * i, 6), LAT) for i in range(21)])
    roads = gpd.GeoDataFrame({"road_class": ["secondary"], "maxspeed": [36], "name": ["测试路"]},
                             geometry=[road], crs="EPSG:4326")
    return villages, facilities, roads


# cultural parcels only, as the tiny scenario's files (conftest CULTURAL_ONLY)
CONFIG = {"county": {"adcode": "370782", "name": "诸城市"},
          "demand": {"other_in_per_capita_week": 0.0, "other_out_per_capita_week": 0.0}}


def errors_of(**kw):
    villages, facilities, roads = tiny_frames()
    args = {"villages": villages, "facilities": facilities, "roads": roads, "config": CONFIG} | kw
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_frames(**args)
    return [p for p in exc.value.problems if p.severity == "error"]


def test_from_frames_is_the_scenario_the_files_give(tiny):
    from_files = load_scenario(tiny)
    villages, facilities, roads = tiny_frames()
    scn = Scenario.from_frames(villages, facilities, roads=roads, config=CONFIG)
    # rows are numbered by position in a frame (0…), by spreadsheet row in a file (2…): all else is equal
    pd.testing.assert_frame_equal(scn.villages.drop(columns="src_row"), from_files.villages.drop(columns="src_row"))
    pd.testing.assert_frame_equal(scn.facilities.drop(columns="src_row"),
                                  from_files.facilities.drop(columns="src_row"))
    assert scn.villages["src_row"].tolist() == list(range(8))
    pd.testing.assert_frame_equal(scn.townships, from_files.townships)
    assert (scn.adcode, scn.name, scn.boundary_source) == ("370782", "诸城市", from_files.boundary_source)
    assert scn.summary()["network"] == from_files.summary()["network"]
    assert scn.path is None
    # the same road distances: village 1 → village 3 is four road steps of 0.01° (≈ 901.6 m each in UTM)
    d = []
    for s in (scn, from_files):
        net = RoadNetwork.from_scenario(s)
        lon, lat = s.villages["lon"].to_numpy()[[0, 2]], s.villages["lat"].to_numpy()[[0, 2]]
        d.append(net.full_matrix(net.snap(lon, lat)))
    assert d[0][0, 1] == d[1][0, 1] == pytest.approx(3606.5, abs=0.5)


def test_from_frames_without_roads_or_config():
    """No roads: straight-line distances × circuity, as a scenario without a roads file; the county from the codes."""
    villages, facilities, _ = tiny_frames()
    scn = Scenario.from_frames(villages, facilities)
    assert scn.graph is None and scn.adcode == "370782" and scn.name == "诸城市"
    assert scn.summary()["network"] == {"roads": False}
    assert not RoadNetwork.from_scenario(scn).has_roads
    assert scn.villages["parcels_in_per_week"].tolist()[:2] == [10, 20]  # derived as from a file


def test_from_frames_accepts_chinese_headers_and_point_geometry():
    villages, facilities, roads = tiny_frames()
    zh = villages.rename(columns={"code": "村代码", "name": "村名", "township_code": "乡镇代码", "population": "人口"})
    points = gpd.GeoDataFrame(zh.drop(columns=["lon", "lat"]),
                              geometry=gpd.points_from_xy(villages["lon"], villages["lat"]), crs="EPSG:4326")
    scn = Scenario.from_frames(points, facilities, roads=roads, config=CONFIG)
    assert scn.villages["code"].tolist() == villages["code"].tolist()
    assert scn.villages["lon"].tolist() == villages["lon"].tolist()


def test_missing_column_names_the_frame():
    villages, _, _ = tiny_frames()
    (e,) = errors_of(villages=villages.drop(columns="population"))
    assert str(e) == ("villages (DataFrame), column 'population': missing column 'population' — add a "
                      "'population' column; the header must contain code, name, township_code, lon, lat, population")


def test_bad_coordinate_names_the_frame_row_and_field():
    villages, _, _ = tiny_frames()
    villages["lon"] = villages["lon"].astype(object)
    villages.loc[3, "lon"] = "119.3a"
    (e,) = errors_of(villages=villages)
    assert (e.file, e.row, e.column) == ("villages (DataFrame)", 3, "lon")
    assert str(e).startswith("villages (DataFrame), row 3, column 'lon': '119.3a' is not a number")


def test_bad_facility_value_and_config_key_name_their_source():
    _, facilities, _ = tiny_frames()
    facilities.loc[1, "operator"] = "postl"
    (e,) = errors_of(facilities=facilities)
    assert (e.file, e.row, e.column) == ("facilities (DataFrame)", 1, "operator")
    assert "did you mean 'postal'?" in e.hint
    (e,) = errors_of(config={"county": {"adcode": "370782"}, "coverage": {"radius": 3000}})
    assert e.file == "config (dict)" and e.column == "coverage.radius"
    assert "did you mean 'radius_m'" in e.message


def test_roads_outside_china_name_the_roads_frame():
    _, _, roads = tiny_frames()
    far = gpd.GeoDataFrame(geometry=[LineString([(10.0, 50.0), (10.1, 50.0)])], crs="EPSG:4326")
    (e,) = errors_of(roads=far)
    assert e.file == "roads (GeoDataFrame)" and "not finite lon/lat in China" in e.message


def test_config_naming_files_is_refused():
    (e,) = errors_of(config={"county": {"adcode": "370782"}, "inputs": {"villages": "villages.csv"}})
    assert str(e) == ("config (dict), column 'inputs': [inputs] names files; from_frames takes the tables "
                      "themselves — leave [inputs] out of the config")


def test_a_village_outside_the_county_names_the_frame_row():
    villages, _, _ = tiny_frames()
    villages.loc[5, "lon"] = 117.0  # in Shandong, far west of 诸城
    (e,) = errors_of(villages=villages)
    assert (e.file, e.row, e.column) == ("villages (DataFrame)", 5, "lon")
    assert "outside the county" in e.message
