"""OSM POIs to facilities: operator, tier and the county hub, rule by rule."""
from __future__ import annotations

import pytest

from culture_logistics.inputs.osm.facilities import classify, classify_pois


@pytest.mark.parametrize("tags, op", [
    ({"amenity": "post_office"}, "postal"),                                   # unnamed post office
    ({"amenity": "post_office", "name": "中国邮政储蓄银行"}, "postal"),
    ({"name": "鸿塘邮电所"}, "postal"),
    ({"name": "EMS营业部"}, "postal"),
    ({"amenity": "post_office", "name": "DHL Express"}, "courier"),          # foreign express, tagged post_office
    ({"amenity": "post_office", "operator": "FedEx"}, "courier"),
    ({"name": "顺丰速运"}, "courier"), ({"name": "中通快递"}, "courier"), ({"name": "菜鸟驿站"}, "courier"),
    ({"office": "courier"}, "courier"), ({"amenity": "parcel_locker"}, "courier"),
    ({"shop": "convenience", "name": "供销社超市"}, "supply_coop"),
    ({"name": "村级寄递物流综合服务站"}, "shared"), ({"name": "县共配中心"}, "shared"),
    ({"amenity": "restaurant", "name": "Ravintola Pääposti"}, None),
    ({"amenity": "bank", "name": "中国邮政储蓄银行"}, None), ({"amenity": "post_box", "name": "邮政信箱"}, None), ({"amenity": "restaurant", "name": "邮政餐厅"}, None),
])
def test_operator_rules(tags, op):
    assert classify(tags)[0] == op


def test_tiers_and_hub():
    seats = {"360681001": (117.2377, 28.2936)}
    pois = [
        {"osm_type": "node", "osm_id": 1, "lon": 117.2380, "lat": 28.2940, "tags": {"amenity": "post_office"}},
        {"osm_type": "node", "osm_id": 2, "lon": 117.3000, "lat": 28.2000, "tags": {"name": "韵达快递"}},
        {"osm_type": "way", "osm_id": 3, "lon": 117.2100, "lat": 28.2900, "tags": {"name": "贵溪邮政分拨中心"}},
        {"osm_type": "node", "osm_id": 4, "lon": 117.2, "lat": 28.2, "tags": {"amenity": "cafe", "name": "邮差咖啡"}},
    ]
    fac, dec = classify_pois(pois, "360681", seats, (117.21, 28.29))
    t = dict(zip(fac["id"], zip(fac["operator"], fac["tier"])))
    assert t == {"360681-OSM-n1": ("postal", "township"), "360681-OSM-n2": ("courier", "village"),
                 "360681-OSM-w3": ("postal", "county")}
    assert fac.set_index("id").loc["360681-OSM-n1", "name"].startswith("邮政网点")
    assert [d["decision"] for d in dec].count("skipped") == 1
    # without the 分拨中心 the postal outlet nearest the county seat becomes the hub, and the report says so
    fac, dec = classify_pois(pois[:2], "360681", seats, (117.21, 28.29))
    assert fac.set_index("id").loc["360681-OSM-n1", "tier"] == "county"
    assert any(d["decision"] == "hub_promoted" for d in dec)
