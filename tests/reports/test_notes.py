"""Grouped warnings (reports/notes.py): the demo's routing notes of 郯城县, as the three plans raised them."""
from __future__ import annotations

from culture_logistics.reports.notes import group_warnings

DEMO = [
    "separate: supply_coop: township 371322101 马头镇 has no supply_coop station; served from 371322-ST-007 胜利镇供销社配送站",
    "separate: supply_coop: township 371322105 杨集镇 has no supply_coop station; served from 371322-ST-008 花园镇供销社配送站",
    "separate: supply_coop: township 371322107 港上镇 has no supply_coop station; served from 371322-ST-009 泉源镇供销社配送站",
    "separate: courier: township 371322105 杨集镇 has no courier station; served from 371322-CT-010 圆通快递郯城胜利网点",
    "separate: courier: township 371322107 港上镇 has no courier station; served from 371322-CT-005 韵达快递郯城重坊网点",
    "separate: courier: township 371322109 庙山镇 has no courier station; served from 371322-CT-004 圆通快递郯城重坊网点",
    "separate: courier: township 371322114 泉源镇 has no courier station; served from 371322-CT-001 申通快递郯城郯城网点",
    "separate: courier: township 371322203 归昌乡 has no courier station; served from 371322-CT-012 申通快递郯城花园网点",
    "separate: 120 village(s) are served from another township's station (assignment = \"county\"; listed in "
    "summary.json villages_moved)",
    "shared: 75 village(s) are served from another township's station (assignment = \"county\"; listed in "
    "summary.json villages_moved)",
    "postal_courier: supply_coop: township 371322101 马头镇 has no supply_coop station; served from 371322-ST-007 "
    "胜利镇供销社配送站",
    "postal_courier: supply_coop: township 371322105 杨集镇 has no supply_coop station; served from 371322-ST-008 "
    "花园镇供销社配送站",
    "postal_courier: supply_coop: township 371322107 港上镇 has no supply_coop station; served from 371322-ST-009 "
    "泉源镇供销社配送站",
]


def test_each_plans_townships_group_with_their_count():
    got = group_warnings(DEMO)
    assert got == [
        "separate: supply_coop: 3 township(s) have no supply_coop station (马头镇, 杨集镇, 港上镇); "
        "each is served from a neighbouring township's station",
        "separate: courier: 5 township(s) have no courier station (杨集镇, 港上镇, 庙山镇, 泉源镇, …); "
        "each is served from a neighbouring township's station",
        "separate: 120 village(s) are served from another township's station (assignment = \"county\"; listed in "
        "summary.json villages_moved)",
        "shared: 75 village(s) are served from another township's station (assignment = \"county\"; listed in "
        "summary.json villages_moved)",
        "postal_courier: supply_coop: 3 township(s) have no supply_coop station (马头镇, 杨集镇, 港上镇); "
        "each is served from a neighbouring township's station",
    ]
    # 13 notes → 5 lines; a note seen twice in one plan is one; a single township is kept as it is
    assert group_warnings(["a note", "a note", "shared: b", "shared: b", "separate: b"]) == [
        "a note", "shared: b", "separate: b"]
    one = DEMO[0]
    assert group_warnings([one]) == [one]


def test_in_chinese():
    got = group_warnings(DEMO, lang="zh")
    assert got[0] == "各自配送：供销社：3 个乡镇没有供销社站点（马头镇、杨集镇、港上镇），各由相邻乡镇的站点配送"
    assert got[3] == "共同配送：75 个村由其他乡镇的站点配送（assignment = \"county\"；见 summary.json villages_moved）"
    assert got[4].startswith("邮快合作：供销社：3 个乡镇")
    assert group_warnings(["shared: something new"], lang="zh") == ["共同配送：something new"]   # unknown: as it is
