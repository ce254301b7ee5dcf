"""Classify OSM POIs as the planner's facilities: operator and tier from tags, operator, brand and name.

Operator (first rule that fires).  Road and place names are not operators: 北京东路 is not 京东,
邮政路 is not 邮政 and 中通客车 makes buses (:data:`NOT_OPERATOR`); these are removed before any word
is looked for.

0. a POI with any other ``amenity`` (restaurant, bank — 邮政储蓄银行 —, cafe …) is **skipped**,
   whatever its name says — except a parcel machine tagged the older way,
   ``amenity=vending_machine`` + ``vending=parcel_pickup`` / ``parcel_mail_in``, which is a locker;
1. **shared** — 寄递物流综合服务站, 共配, 综合服务站 in the name, brand or operator (a co-delivery
   point for every operator);
2. the **brand / operator** tags (``brand``, ``brand:zh``, ``operator``, ``operator:zh``), then the
   **name** (``name``, ``name:zh``), each searched in this order: foreign express DHL, TNT, FedEx,
   UPS → courier; a courier brand (顺丰, 中通, 圆通, 申通, 韵达, 极兔, 京东, 德邦, 百世, 菜鸟 …) →
   courier; 中国邮政, 邮政, EMS, 邮电所, 邮局, China Post, Posti, USPS → **postal** (EMS is China Post's
   express arm, even when tagged ``office=courier``); 供销 → **supply_coop**; the generic 快递, 速运,
   快运 → courier.  So a tagged ``operator=中国邮政`` decides over a name such as 菜鸟驿站, and 邮政快递 is
   postal;
3. ``office=courier``, ``shop=courier``, a parcel locker → courier; ``amenity=post_office`` → postal;
4. anything else is **skipped** (listed in the report with the reason), e.g. a restaurant named
   after a post office.

Tier: 分拨中心, 物流园, 处理中心, 转运中心, 集散中心, 县级, 共配中心 in the name → ``county``; else an
outlet within :data:`SEAT_RADIUS_M` of a township seat → ``township``; else ``village``.

County hub: routing needs a county-tier site.  When none is found the largest postal outlet
nearest the county seat is promoted to ``county`` (rule ``hub_promoted`` in the report); when
there is no postal outlet either, none is invented and the report says routing will refuse.
"""
from __future__ import annotations

import math
import re

import pandas as pd

LOGISTICS_AMENITIES = ("post_office", "parcel_locker", "post_depot")
SHARED_WORDS = ("寄递物流综合服务站", "综合服务站", "共配")
FOREIGN_EXPRESS = ("DHL", "TNT", "FedEx", "FEDEX", "UPS")
COURIER_BRANDS = ("顺丰", "中通", "圆通", "申通", "韵达", "极兔", "京东", "德邦", "百世", "菜鸟驿站", "菜鸟", "天天快递",
                  "优速", "丰巢", "兔喜", "妈妈驿站")
COURIER_GENERIC = ("快递", "速运", "快运")
COOP_WORDS = ("供销",)
POSTAL_WORDS = ("中国邮政", "邮政", "EMS", "邮电所", "邮局", "邮电局", "China Post", "Posti", "USPS")
COUNTY_WORDS = ("分拨中心", "物流园", "处理中心", "转运中心", "集散中心", "县级", "共配中心", "分拣中心")
BRANDS = ("中国邮政", "EMS", "顺丰", "中通", "圆通", "申通", "韵达", "极兔", "京东", "德邦", "百世", "菜鸟", "DHL",
          "TNT", "FedEx", "UPS")
#: road, place and company names that contain an operator word but are not that operator
NOT_OPERATOR = re.compile(r"[北南]京东|中通客车|(?:中国邮政|邮政|邮电|顺丰|中通|圆通|申通|韵达|京东|供销)"
                          r"(?=[东西南北中]?(?:路|街|大街|大道|巷|胡同|小区|村))")
#: the operator searches of rule 2, in order
_OPERATOR_RULES = (("courier", FOREIGN_EXPRESS, "foreign express"), ("courier", COURIER_BRANDS, "courier brand"),
                   ("postal", POSTAL_WORDS, "postal word"), ("supply_coop", COOP_WORDS, "supply co-op word"),
                   ("courier", COURIER_GENERIC, "courier word"))
PARCEL_VENDING = ("parcel_pickup", "parcel_mail_in")

#: an outlet this close to a township seat (an OSM township point) is township tier
SEAT_RADIUS_M = 1500.0


def _text(tags: dict) -> str:
    return " ".join(str(tags.get(k, "")) for k in ("name", "name:zh", "operator", "brand"))


def _scrub(text: str) -> str:
    """``text`` with road, place and company names that are not operators blanked (北京东路 → ``路``)."""
    return NOT_OPERATOR.sub(" ", text)


def _first(words, text: str) -> str:
    for w in words:
        if w.isascii():
            if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text):
                return w
        elif w in text:
            return w
    return ""


def classify(tags: dict) -> tuple[str | None, str]:
    """``(operator, rule)`` of one POI's tags; operator ``None`` when it is not a logistics site."""
    amenity, office, shop = tags.get("amenity", ""), tags.get("office", ""), tags.get("shop", "")
    locker = amenity == "parcel_locker" or (amenity == "vending_machine" and any(
        v.strip() in PARCEL_VENDING for v in str(tags.get("vending", "")).split(";")))
    if amenity and amenity not in LOGISTICS_AMENITIES and not locker:
        return None, f"amenity={amenity} is not a logistics site (the name alone does not make it one)"
    owner = _scrub(" ".join(str(tags.get(k, "")) for k in ("brand", "brand:zh", "operator", "operator:zh")))
    name = _scrub(" ".join(str(tags.get(k, "")) for k in ("name", "name:zh")))
    if w := _first(SHARED_WORDS, name + " " + owner):
        return "shared", f"name/operator contains {w}"
    for source, text in (("brand/operator", owner), ("name", name)):
        for op, words, what in _OPERATOR_RULES:
            if w := _first(words, text):
                return op, f"{source} contains {w} ({what})" + (" (tagged post_office)" if amenity == "post_office"
                                                                and op != "postal" else "")
    if office == "courier" or shop == "courier":
        return "courier", f"{'office' if office == 'courier' else 'shop'}=courier"
    if locker:
        return "courier", "amenity=parcel_locker" if amenity == "parcel_locker" else "parcel vending machine"
    if amenity == "post_office":
        return "postal", "amenity=post_office" + ("" if tags.get("name") else " (unnamed)")
    return None, "no logistics tag, operator, brand or name word"


def _metres(lon1, lat1, lon2, lat2) -> float:
    k = 111_320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians((lat1 + lat2) / 2)), (lat1 - lat2) * k)


def classify_pois(pois: list[dict], adcode: str, seats: dict[str, tuple[float, float]],
                  county_seat: tuple[float, float] | None) -> tuple[pd.DataFrame, list[dict]]:
    """Facilities from OSM POIs, with one decision row per POI.

    Parameters
    ----------
    pois : list of dict
        ``osm_type, osm_id, lon, lat, tags`` from :func:`~culture_logistics.inputs.osm.reader.read_extract`.
    adcode : str
        county code; facility ids are ``<adcode>-OSM-<n|w><osm id>``.
    seats : dict
        ``{township_code: (lon, lat)}`` township seats (WGS-84 degrees).
    county_seat : (lon, lat) or None
        where the county hub is looked for when none is tagged.

    Returns
    -------
    (DataFrame, list of dict)
        facilities ``id,name,operator,tier,lon,lat,brand,capacity_per_day`` sorted by id, and
        decisions ``kind, osm_id, osm_name, lon, lat, code, nbs_name, decision, detail``.
    """
    rows, decisions = [], []
    seen: set[tuple[str, int]] = set()
    for p in sorted(pois, key=lambda p: (p["osm_type"], p["osm_id"])):
        key = (p["osm_type"], p["osm_id"])
        if key in seen:
            continue
        seen.add(key)
        tags = p["tags"]
        name = tags.get("name") or tags.get("name:zh") or ""
        op, rule = classify(tags)
        osm_ref = f"{p['osm_type']}/{p['osm_id']}"
        if op is None:
            decisions.append(_row(osm_ref, name, p, "", "", "skipped", rule))
            continue
        tier_word = _first(COUNTY_WORDS, name)
        near = [(c, _metres(p["lon"], p["lat"], xy[0], xy[1])) for c, xy in seats.items()]
        near = [t for t in near if t[1] <= SEAT_RADIUS_M]
        if tier_word:
            tier, why = "county", f"name contains {tier_word}"
        elif near:
            c, d = min(near, key=lambda t: (t[1], t[0]))
            tier, why = "township", f"{d:.0f} m from township seat {c}"
        else:
            tier, why = "village", "not near a township seat"
        fid = f"{adcode}-OSM-{p['osm_type'][0]}{p['osm_id']}"
        label = name or {"postal": "邮政网点 (unnamed post office)", "courier": "快递网点 (unnamed courier point)",
                         "supply_coop": "供销社网点", "shared": "共配站点"}[op]
        brand = _first(BRANDS, _scrub(_text(tags))) or tags.get("brand", "")
        rows.append({"id": fid, "name": label, "operator": op, "tier": tier, "lon": round(p["lon"], 7),
                     "lat": round(p["lat"], 7), "brand": brand, "capacity_per_day": ""})
        decisions.append(_row(osm_ref, name, p, fid, f"{op}/{tier}", "facility", f"{rule}; tier: {why}"))
    fac = pd.DataFrame(rows, columns=["id", "name", "operator", "tier", "lon", "lat", "brand", "capacity_per_day"])
    if len(fac) and not (fac["tier"] == "county").any():
        postal = fac[fac["operator"] == "postal"]
        if len(postal) and county_seat is not None:
            dists_m = [_metres(x, y, *county_seat) for x, y in zip(postal["lon"], postal["lat"])]
            best = postal.index[min(range(len(dists_m)), key=lambda i: (dists_m[i], postal["id"].iloc[i]))]
            fac.loc[best, "tier"] = "county"
            decisions.append({"kind": "facility", "osm_id": "", "osm_name": fac.loc[best, "name"], "lon": "",
                              "lat": "", "code": fac.loc[best, "id"], "nbs_name": "postal/county",
                              "decision": "hub_promoted",
                              "detail": f"no county-tier site in OSM: the postal outlet nearest the county seat "
                                        f"({min(dists_m) / 1000:.1f} km) is used as the county hub; replace it with a "
                                        f"--facilities file if the real hub is elsewhere"})
    return fac.sort_values("id").reset_index(drop=True), decisions


def _row(osm_ref, name, p, code, what, decision, detail) -> dict:
    return {"kind": "facility", "osm_id": osm_ref, "osm_name": name, "lon": p["lon"], "lat": p["lat"], "code": code,
            "nbs_name": what, "decision": decision, "detail": detail}
