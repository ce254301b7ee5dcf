"""Operators of real OSM POIs: what the old rules got wrong.

* Real data: Helsinki's Stockmann parcel machine (node 6049453011 in ``helsinki.osm.pbf``:
  ``amenity=vending_machine, vending=parcel_mail_in;parcel_pickup, operator=Posti``) is a locker of the
  Finnish post, and was skipped (a vending machine; ``vending`` not even read; Posti not a postal word).
* Chinese tag sets as mappers write them: EMS / 中国邮政速递物流 tagged ``office=courier`` were couriers
  (office=courier fired before the postal words), a post office on 北京东路 was 京东 (a courier brand),
  邮政快递 was a courier, and ``operator=中国邮政`` lost to a 菜鸟驿站 name.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from culture_logistics.inputs.osm.facilities import classify, classify_pois
from culture_logistics.inputs.osm.reader import read_extract

OSM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "osm"


@pytest.mark.skipif(not (OSM / "helsinki.osm.pbf").is_file(), reason=f"real OSM extracts not found at {OSM}")
def test_real_helsinki_pois():
    pois = read_extract(OSM / "helsinki.osm.pbf").pois
    fac, dec = classify_pois(pois, "000000", {}, None)
    got = dict(zip(fac["id"], fac["operator"]))
    # two real post offices and the real Posti parcel machine; none of the other candidate POIs (offices, post boxes, a restaurant)
    assert got == {"000000-OSM-n56431331": "postal", "000000-OSM-n299983771": "postal",
                   "000000-OSM-n6049453011": "postal"}
    locker = next(p for p in pois if p["osm_id"] == 6049453011)
    assert locker["tags"]["vending"] == "parcel_mail_in;parcel_pickup"
    rule = next(d["detail"] for d in dec if d["osm_id"] == "node/6049453011")
    assert rule.startswith("brand/operator contains Posti (postal word)")
    skipped = {d["osm_id"] for d in dec if d["decision"] == "skipped"}
    assert {"node/62967659", "node/319524836"} <= skipped      # Ravintola Pääposti, a Posti post box


@pytest.mark.parametrize("tags, op, rule", [
    ({"office": "courier", "name": "中国邮政速递物流", "operator": "中国邮政集团有限公司"}, "postal", "brand/operator"),
    ({"office": "courier", "name": "EMS"}, "postal", "name contains EMS"),
    ({"amenity": "post_office", "name": "北京东路邮政支局"}, "postal", "name contains 邮政"),
    ({"amenity": "post_office", "name": "邮政快递"}, "postal", "name contains 邮政"),
    ({"name": "菜鸟驿站", "operator": "中国邮政"}, "postal", "brand/operator contains 中国邮政"),
    ({"shop": "car", "name": "中通客车4S店"}, None, "no logistics"),
    ({"name": "顺丰速运(邮政路店)", "shop": "courier"}, "courier", "name contains 顺丰"),
    ({"shop": "courier", "name": "城东快件代收点"}, "courier", "shop=courier"),
    ({"name": "南京东路供销社"}, "supply_coop", "name contains 供销"),
    ({"amenity": "post_office", "name": "中通快递", "brand": "中通快递"}, "courier", "brand/operator contains 中通"),
    ({"office": "courier", "name": "极兔速递", "brand": "极兔"}, "courier", "brand/operator contains 极兔"),
    ({"name": "GROUPS 超市"}, None, "no logistics"),                    # UPS only as a word
])
def test_chinese_tag_sets(tags, op, rule):
    got_op, got_rule = classify(tags)
    assert (got_op, got_rule.startswith(rule)) == (op, True), got_rule


def test_brand_column_not_taken_from_a_road_name():
    pois = [{"osm_type": "node", "osm_id": 7, "lon": 117.2, "lat": 28.3,
             "tags": {"amenity": "post_office", "name": "北京东路邮政支局"}}]
    fac, _ = classify_pois(pois, "360681", {}, None)
    assert (fac["operator"].iat[0], fac["brand"].iat[0]) == ("postal", "")
