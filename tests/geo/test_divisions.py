"""Division lists: every county in China, Shandong unchanged, one province read per lookup."""
from __future__ import annotations

import pandas as pd

from culture_logistics.geo import divisions as d


def test_shandong_api_unchanged():
    assert len(d.counties()) == 151
    assert len(d.villages()) == 62_074
    assert d.county_name("370782") == "诸城市"
    tw = d.townships("370782")
    assert len(tw) == 14 and list(tw.columns) == ["code", "name", "parent_code", "county_name", "city_code", "kind"]
    assert len(d.villages("370782")) == 259


def test_shandong_equals_the_china_wide_files():
    # the China-wide tables derive parents and kinds from the codes; for Shandong they must agree with
    # the hand-checked Shandong files row for row
    assert d.counties("*").query("code.str[:2] == '37'").reset_index(drop=True).equals(d.counties())
    cn_tw = d._china_townships()
    assert cn_tw[cn_tw["code"].str[:2] == "37"].reset_index(drop=True).equals(d.townships())
    assert d._china_villages("37").equals(d.villages())


def test_any_county_in_china():
    assert d.county_name("360681") == "贵溪市" and d.county_name("110108") == "海淀区"
    assert d.province_name("360681") == "江西省"
    tw = d.townships("360681")
    assert tw.iloc[0].to_dict() == {"code": "360681001", "name": "花园街道", "parent_code": "360681",
                                    "county_name": "贵溪市", "city_code": "3606", "kind": "subdistrict"}
    v = d.villages("360681")
    assert len(v) == 260 and v["code"].str.startswith("360681").all()
    assert d.village_name("360681001005") == "花园居民委员会"
    row = v[v["code"] == "360681002200"].iloc[0]
    assert (row["name"], row["parent_code"], row["kind"]) == ("象山村民委员会", "360681002", "village_committee")
    assert len(d.counties("*")) == 2978 and len(d.provinces()) == 31
    assert len(d.counties("36")) == d.counties("*")["code"].str.startswith("36").sum()


def test_one_province_file_per_lookup():
    d._clear_cache()
    d.villages("110108")
    assert d._china_villages.cache_info().currsize == 1     # Beijing only, not all 620,573 rows
    assert d.villages("999999").empty and d.county_name("999999") is None


def test_kinds_from_codes():
    assert [d.township_kind(c) for c in ("360681001", "360681100", "360681200", "360681400")] == [
        "subdistrict", "town", "township", "other"]
    assert [d.village_kind(c) for c in ("1" * 9 + "001", "1" * 9 + "200", "1" * 9 + "400", "1" * 9 + "500")] == [
        "residents_committee", "village_committee", "residents_committee_like", "village_committee_like"]
    assert isinstance(d.villages("360681"), pd.DataFrame)
