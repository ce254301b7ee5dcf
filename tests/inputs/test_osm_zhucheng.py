"""An imported 诸城-like county: OSM names as mappers write them, no township points, names in two townships.

The extract is written here from the embedded 诸城市 (370782) villages: each NBS "X社区村民委员会" /
"X社区居民委员会" becomes an OSM ``place=village`` named "X社区" (every fourth village committee "X村", as
mappers also write), at the village's point; the three names NBS has in two townships (范家岭, 水泊, 岳戈庄)
appear twice, once in each township; there is no ``place=town`` point, so only the neighbours can decide.
"""
from __future__ import annotations

import csv
from pathlib import Path

from culture_logistics.inputs.osm.build import import_osm
from culture_logistics.resources import counties_dir

ZHUCHENG = counties_dir() / "370782"
TWICE = {"范家岭社区村民委员会", "水泊社区村民委员会", "岳戈庄社区村民委员会"}


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _osm_name(i: int, nbs_name: str) -> str:
    if nbs_name.endswith("社区村民委员会"):
        stem = nbs_name[: -len("社区村民委员会")]
        return stem + "村" if i % 4 == 3 else stem + "社区"
    return nbs_name[: -len("居民委员会")]                      # X社区居民委员会 → X社区


def _extract(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """The .osm file and ``{osm node id: the NBS code its place was written from}``."""
    villages = _rows(ZHUCHENG / "villages.csv")
    hub = _rows(ZHUCHENG / "facilities.csv")[0]
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    truth: dict[int, str] = {}
    for i, v in enumerate(villages):
        osm_id = 1000 + i
        truth[osm_id] = v["code"]
        xml += [f'<node id="{osm_id}" version="1" lat="{v["lat"]}" lon="{v["lon"]}">',
                '<tag k="place" v="village"/>', f'<tag k="name" v="{_osm_name(i, v["name"])}"/>', "</node>"]
    assert sum(v["name"] in TWICE for v in villages) == 6
    # a road through the county seat and one post office, so the folder validates
    x, y = float(hub["lon"]), float(hub["lat"])
    road = [(1, x - 0.02, y), (2, x, y), (3, x + 0.02, y)]
    xml += [f'<node id="{i}" version="1" lat="{b}" lon="{a}"/>' for i, a, b in road]
    xml += [f'<node id="9" version="1" lat="{y}" lon="{x}">', '<tag k="amenity" v="post_office"/>',
            '<tag k="name" v="诸城市邮政分拨中心"/>', "</node>"]
    xml += ['<way id="100" version="1">', *[f'<nd ref="{i}"/>' for i, _, _ in road],
            '<tag k="highway" v="primary"/>', "</way>", "</osm>"]
    path = tmp_path / "zhucheng.osm"
    path.write_text("\n".join(xml), encoding="utf-8")
    return path, truth


def test_zhucheng_like_import_matches_95_percent_with_at_most_1_percent_wrong(tmp_path):
    extract, truth = _extract(tmp_path)
    out = tmp_path / "scn"
    res = import_osm(extract, "370782", out, buffer_m=2000)
    got = {int(r["osm_id"].split("/")[-1]) if "/" in r["osm_id"] else int(r["osm_id"]): r
           for r in _rows(out / "import_report.csv") if r["kind"] == "village" and r["osm_id"]}
    assert len(got) == 259 == len(truth)
    right = [i for i, r in got.items() if r["code"] == truth[i] and r["decision"].startswith("matched")]
    wrong = [i for i, r in got.items() if r["decision"].startswith("matched") and r["code"] != truth[i]]
    assert len(right) >= 0.95 * 259 and len(wrong) <= 0.01 * 259, (len(right), len(wrong))
    assert (len(right), len(wrong)) == (259, 0)
    assert res.villages == len(right) + len(wrong) == len(_rows(out / "villages.csv"))
    # the six places whose name NBS has in two townships: each decided by its neighbours' township
    twice = [r for r in got.values() if r["nbs_name"] in TWICE or "社区村民委员会, " in r["nbs_name"]]
    assert len(twice) == 6 and {r["decision"] for r in twice} == {"matched_by_neighbours"}
    assert all("of the 5 nearest matched places" in r["detail"] for r in twice)
    # X社区 → X社区村民委员会 (full name) and X村 → X社区村民委员会 (stem and kind), each in the report
    by_name = {r["osm_name"]: r for r in got.values()}
    assert (by_name["朱解村"]["code"], by_name["朱解村"]["detail"]) == ("370782001203", "stem and kind")
    assert (by_name["高铁社区"]["code"], by_name["高铁社区"]["detail"]) == ("370782001202", "full name")
    assert (by_name["兴华社区"]["code"], by_name["兴华社区"]["nbs_name"]) == ("370782001001", "兴华社区居民委员会")
    hows = {r["detail"].split(";")[0] for r in got.values() if r["decision"] == "matched"}
    assert hows == {"full name", "stem and kind"}
    assert not [r for r in got.values() if r["decision"] in ("osm_unmatched", "ambiguous", "duplicate")]
