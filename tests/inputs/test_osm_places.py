"""OSM place names matched to NBS village and township codes (suffixes, kinds, same name twice)."""
from __future__ import annotations

import pandas as pd

from culture_logistics.geo import divisions
from culture_logistics.inputs.osm.places import match_places, township_base, village_base


def test_suffixes():
    assert village_base("花园居民委员会") == ("花园", "residents") == village_base("花园社区")
    assert village_base("黄坑村民委员会") == ("黄坑", "villagers") == village_base("黄坑村")
    assert village_base("多福巷社区居委会") == ("多福巷", "residents") == village_base("多福巷社区")
    assert village_base("贵冶居委会") == ("贵冶", "residents")
    assert village_base("大岩苏家") == ("大岩苏家", "")
    assert township_base("花园街道") == "花园" == township_base("花园街道办事处")
    assert township_base("滨江镇") == "滨江" and township_base("白田乡") == "白田"


def _place(i, name, lon, lat, place="village"):
    return {"osm_id": i, "name": name, "lon": lon, "lat": lat, "place": place}


def test_real_guixi_names_and_kinds():
    v, t = divisions.villages("360681"), divisions.townships("360681")
    places = [_place(1, "花园社区", 117.240, 28.290, "quarter"), _place(2, "黄坑村", 117.193, 28.309),
              _place(3, "花园村", 117.241, 28.291), _place(4, "信江社区", 117.210, 28.291, "quarter"),
              _place(5, "花园街道", 117.2377, 28.2936, "town"), _place(6, "烧箕山社区", 117.2, 28.29, "quarter"),
              _place(7, "花园社区", 117.2401, 28.2901, "quarter")]
    m = match_places(places, v, t)
    got = dict(zip(m.villages["osm_id"], m.villages["code"]))
    # 信江 exists twice (信江居民委员会 in 东门街道, 信江村民委员会 in 江北街道): 社区 names the residents' committee
    assert got == {1: "360681001005", 2: "360681111204", 4: "360681003001"}
    d = {r["osm_id"]: r for r in m.decisions if r["osm_id"] != ""}
    assert d[3]["decision"] == "osm_unmatched" and "other kind" in d[3]["detail"]    # 花园村 is not 花园居民委员会
    assert d[5]["kind"] == "township" and d[5]["code"] == "360681001"
    assert d[6]["decision"] == "osm_unmatched" and d[6]["nbs_name"] == "筲箕山居民委员会"  # suggested, not matched
    assert d[7]["decision"] == "duplicate"
    assert sum(r["decision"] == "nbs_no_point" for r in m.decisions) == len(v) - 3
    assert m.townships.set_index("code").loc["360681001", "lon"] == 117.2377


def test_same_name_in_two_townships_decided_by_location():
    v = pd.DataFrame({"code": ["360681001201", "360681002201"], "name": ["新村村民委员会", "新村村民委员会"],
                      "parent_code": ["360681001", "360681002"]})
    t = pd.DataFrame({"code": ["360681001", "360681002"], "name": ["甲街道", "乙街道"]})
    seats = [_place(10, "甲街道", 117.00, 28.00, "town"), _place(11, "乙街道", 117.10, 28.00, "town")]
    m = match_places(seats + [_place(12, "新村", 117.09, 28.00)], v, t)     # 新村 whole name = NBS base 新村
    assert list(m.villages["code"]) == ["360681002201"]
    row = next(r for r in m.decisions if r["osm_id"] == 12)
    assert row["decision"] == "matched_by_location" and "1.0 km" in row["detail"]
    m = match_places([_place(12, "新村", 117.09, 28.00)], v, t)                # no seats: ambiguous, not guessed
    assert m.villages.empty and next(r for r in m.decisions if r["osm_id"] == 12)["decision"] == "ambiguous"
