"""The synthetic facilities of a county: depots, township stations and village service points.

Part of the seeded builder (:mod:`culture_logistics.synth.builder`); positions in the county's UTM metres.
"""
from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Point

from culture_logistics.config.fleet import DEFAULT_VEHICLES
from culture_logistics.config.model import PARCELS_IN_PER_PERSON_WEEK, PARCELS_OUT_PER_PERSON_WEEK
from culture_logistics.config.schema import OTHER_IN_PER_CAPITA_WEEK, OTHER_OUT_PER_CAPITA_WEEK, SCHEMA
from culture_logistics.synth.common import (
    BRANDS,
    CARRIERS,
    MAX_SERVICE_SCALE,
    MAX_SHARED_MULT,
    OPERATOR_LETTER,
    TIER_LETTER,
    UNREACHED_BAND,
    VILLAGE_SERVICE_SHARES,
    County,
    county_short,
    township_short,
    village_short,
)

#: the routing default of delivery days a week: a village's daily parcels = weekly / this
DELIVERY_DAYS = int(SCHEMA["routing"].defaults()["delivery_days_per_week"])

#: each carrying operator's share of the parcels in separate mode (the [routing.shares] defaults)
SHARES = SCHEMA["routing.shares"].defaults()

#: spread (sigma of a mean-one lognormal) of a village's other express parcels around the per-capita rates:
#: inbound (online shopping) varies less than outbound (a few e-commerce villages send much more)
OTHER_SIGMA = {"in": 0.25, "out": 0.5}

#: a county's own inbound rate (other parcels per resident a week) where the default 0.095 would put its villages
#: below every published county: 夏津县 (德州; 937 residents per village-level unit, 16 parcels a day at the
#: default: the median village, in and out, cultural included) takes 德州禹城's published ~20,000 parcels a day for 488,014 residents (2020 census) = 0.287
#: (China Daily 2023-10-05, ../shared/docs/COUNTY-PRACTICE.md §2), the same prefecture's figure
OTHER_IN_RATE_BY_COUNTY = {"371427": round(20000 * 7 / 488014, 3)}

#: the published parcels a day per village-level unit and per township station (../shared/docs/COUNTY-PRACTICE.md
#: §2): from 20 (the rural floor the co-delivery reports give) through 岱岳 42 (20,000 into 471 villages on bus
#: lines) and 江陵 104 (10,000 / 96 village points) to 石屏 333, where the whole county is counted as ours is
#: (进港 ~39,000 a day over its 117 village-level units and 9 townships, NBS 2023 counts); per station 江陵 1,000
#: and 岱岳 1,818 to 石屏 4,333. Each embedded county's medians (in and out, cultural included) fall inside.
PUBLISHED_BANDS = {"village": (20, 333), "township": (1000, 4333)}

#: headroom of a station's capacity_per_day over the inbound parcels of the villages it serves (uniform draw)
STATION_HEADROOM = (1.3, 1.6)

#: the last-mile van (DEFAULT_VEHICLES) and the light truck the embedded scenarios add for large villages
VAN_CAPACITY = 200
LIGHT_TRUCK_CAPACITY = 500


def other_flows(vils: list[dict], rng: np.random.Generator, adcode: str = "") -> None:
    """Each village's other express parcels a week (in place: ``other_in_per_week``, ``other_out_per_week``),
    synthetic: ⌈population × rate × f⌉ with the calibrated [demand] rates (0.095 in, 0.025 out per resident a
    week; the inbound one from :data:`OTHER_IN_RATE_BY_COUNTY` where the county has its own) and f a seeded
    mean-one lognormal (:data:`OTHER_SIGMA`); also ``inbound_per_day``, the village's inbound parcels (cultural
    and other) a delivery day, which the stations are sized from."""
    rate_in = OTHER_IN_RATE_BY_COUNTY.get(adcode, OTHER_IN_PER_CAPITA_WEEK)
    n = len(vils)
    z_in, z_out = rng.standard_normal(n), rng.standard_normal(n)
    for v, zi, zo in zip(vils, z_in, z_out):
        pop = v["population"]
        f_in = math.exp(OTHER_SIGMA["in"] * zi - OTHER_SIGMA["in"] ** 2 / 2)
        f_out = math.exp(OTHER_SIGMA["out"] * zo - OTHER_SIGMA["out"] ** 2 / 2)
        v["other_in_per_week"] = int(math.ceil(round(pop * rate_in * f_in, 9)))
        v["other_out_per_week"] = int(math.ceil(round(pop * OTHER_OUT_PER_CAPITA_WEEK * f_out, 9)))
        v["inbound_per_day"] = (math.ceil(pop * PARCELS_IN_PER_PERSON_WEEK) + v["other_in_per_week"]) / DELIVERY_DAYS


def flow_stats(tws: list[dict], vils: list[dict]) -> dict:
    """The other parcels a delivery day (in, out) and the median parcels a day (in and out, cultural included)
    per village and per township, for the README (rounded)."""
    def day(v):
        pop = v["population"]
        return (math.ceil(pop * PARCELS_IN_PER_PERSON_WEEK) + math.ceil(pop * PARCELS_OUT_PER_PERSON_WEEK)
                + v["other_in_per_week"] + v["other_out_per_week"]) / DELIVERY_DAYS
    per_v = [day(v) for v in vils]
    per_t: dict[str, float] = {tw["code"]: 0.0 for tw in tws}
    for v, d in zip(vils, per_v):
        per_t[v["township_code"]] += d
    return {"other_in_per_day": int(round(sum(v["other_in_per_week"] for v in vils) / DELIVERY_DAYS)),
            "other_out_per_day": int(round(sum(v["other_out_per_week"] for v in vils) / DELIVERY_DAYS)),
            "village_parcels_per_day_median": int(round(float(np.median(per_v)))) if per_v else 0,
            "township_parcels_per_day_median": int(round(float(np.median(list(per_t.values()))))) if per_t else 0}


def _township_inbound(vils: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in vils:
        out[v["township_code"]] = out.get(v["township_code"], 0.0) + v.get("inbound_per_day", 0.0)
    return out


def _station_capacity(parcels_per_day: float, headroom: float) -> int:
    """A station's capacity_per_day: the inbound parcels it serves × headroom, rounded up to 10 (at least 50)."""
    return int(max(50, math.ceil(parcels_per_day * headroom / 10.0) * 10))


def fleet_sizes(tws: list[dict], vils: list[dict], facs: list[dict]) -> dict:
    """The vehicles the embedded scenario.toml gives every operator for the whole parcel flow.

    * trunk: ``capacity`` the largest township station's capacity_per_day, rounded up to 500 (at least the
      default 1,000): the trunk delivers a station's day in one van, and a station never sends out more than
      its capacity, so this holds on a peak day too; ``count`` (per county depot) twice the townships;
    * last mile (per station): light vans of 200 parcels, as many as the largest station's capacity_per_day
      holds, and 2 light trucks of 500 for villages with more than a van's load (at the van's fixed cost per
      parcel of room, so they do not undercut the vans).
    """
    station_caps = [f["cap"] for f in facs if f["tier"] == "township" and f["cap"]]
    # a station never sends out more than its capacity_per_day (a hard limit), so a trunk van of the largest
    # station's capacity takes any station's day in one load, on a peak day too
    trunk_cap = max(1000, int(math.ceil(max(station_caps, default=0) / 500.0) * 500))
    vans = int(math.ceil(max(station_caps, default=VAN_CAPACITY) / VAN_CAPACITY)) + 1
    van_fixed = float(DEFAULT_VEHICLES["last_mile"]["fixed_cost"])
    return {"trunk_capacity": trunk_cap, "trunk_count": 2 * len(tws) + 2, "vans": vans, "light_trucks": 2,
            "light_truck_capacity": LIGHT_TRUCK_CAPACITY,
            "light_truck_fixed_cost": van_fixed * LIGHT_TRUCK_CAPACITY / VAN_CAPACITY}


def _offset_inside(cty: County, xy: np.ndarray, rmin: float, rmax: float, rng: np.random.Generator,
                   area=None) -> np.ndarray:
    area = cty.inner if area is None else area
    for _ in range(30):
        a = rng.uniform(0, 2 * math.pi)
        r = rng.uniform(rmin, rmax)
        p = xy + r * np.array([math.cos(a), math.sin(a)])
        if area.contains(Point(p)):
            return p
    return xy.copy()


def unreached_share(village_xy: np.ndarray, fac_xy: np.ndarray, fac_op: list[str],
                    radius_m: float = 3000.0, circuity: float = 1.3, shared_counts: bool = True) -> float:
    """Share of villages not reached by all three carrying operators.

    A village is reached by operator ``op`` when a facility of ``op`` (of any
    tier; also of ``shared`` when ``shared_counts``) lies within
    ``radius_m / circuity`` metres straight-line distance.

    Parameters
    ----------
    village_xy, fac_xy : numpy.ndarray, shape (n, 2)
        Projected coordinates in metres (e.g. UTM).
    fac_op : list of str
        Operator of each facility.
    """
    if len(village_xy) == 0:
        return 0.0
    ops = np.asarray(fac_op)
    d = np.hypot(village_xy[:, None, 0] - fac_xy[None, :, 0], village_xy[:, None, 1] - fac_xy[None, :, 1])
    near = d * circuity <= radius_m
    all_ok = np.ones(len(village_xy), bool)
    for op in CARRIERS:
        sel = (ops == op) | ((ops == "shared") if shared_counts else False)
        all_ok &= near[:, sel].any(axis=1) if sel.any() else False
    return float(1.0 - all_ok.mean())


def place_facilities(cty: County, tws: list[dict], vils: list[dict], streams: dict) -> tuple[list[dict], dict]:
    """Every facility of the county: county depots, township stations, village service points, then ids.

    Each tier draws from its own random stream (``streams["county"]``, ``["township"]``,
    ``["village_<op>"]``) in a fixed order, so the output is deterministic.  Returns the facilities (dicts
    with op, tier, name, xy in metres, brand, cap, id) and the village-tier statistics.
    """
    facs: list[dict] = []

    def add(op, tier, name, xy, brand="", cap=None, key=""):
        facs.append(dict(op=op, tier=tier, name=name, xy=np.asarray(xy, float), brand=brand, cap=cap, key=key))

    _county_tier(cty, vils, streams["county"], add)
    _township_tier(cty, tws, vils, streams["township"], add)
    vxy = np.array([v["xy"] for v in vils]) if vils else np.empty((0, 2))
    scale, s1 = _village_tier(cty, vils, vxy, streams, facs, add)
    _number(facs, cty.adcode)
    all_xy = np.array([f["xy"] for f in facs])
    stats = {
        "village_service_scale": {"shared": scale[0], "all": scale[1]},
        "unreached_share_nominal": round(s1, 4),
        "unreached_share": round(unreached_share(vxy, all_xy, [f["op"] for f in facs]), 4),
        "unreached_share_without_shared": round(
            unreached_share(vxy, all_xy, [f["op"] for f in facs], shared_counts=False), 4),
    }
    return facs, stats


def _county_tier(cty: County, vils: list[dict], rng: np.random.Generator, add) -> None:
    """The county depots, sized to the inbound parcels a delivery day (cultural and other: the whole flow)."""
    cname = cty.name
    demand = sum(v.get("inbound_per_day", 0.0) for v in vils)
    add("shared", "county", f"{cname}县级共配中心", cty.seat_xy,
        cap=int(max(1000, round(demand * rng.uniform(1.8, 2.6), -2))), key="0")
    add("postal", "county", f"中国邮政{cname}分公司县级寄递处理中心",
        _offset_inside(cty, cty.seat_xy, 1000, 3500, rng), cap=int(max(500, round(demand * rng.uniform(1.0, 1.4), -2))))
    add("supply_coop", "county", f"{cname}供销社县级物流配送中心",
        _offset_inside(cty, cty.seat_xy, 1500, 5000, rng), cap=int(max(500, round(demand * rng.uniform(0.5, 0.8), -2))))
    add("courier", "county", f"{cname}快递物流园分拨中心", _offset_inside(cty, cty.seat_xy, 2000, 6000, rng),
        brand="/".join(BRANDS), cap=int(max(500, round(demand * rng.uniform(1.3, 1.8), -2))))


def _served_townships(tws: list[dict], has_station: set[str]) -> dict[str, str]:
    """Township code → the township whose station of an operator serves it: its own when it has one, else the
    nearest (seat to seat) that has one (the routing's rule for a township without the operator's station)."""
    with_st = [tw for tw in tws if tw["code"] in has_station]
    out = {}
    for tw in tws:
        if tw["code"] in has_station or not with_st:
            out[tw["code"]] = tw["code"]
        else:
            out[tw["code"]] = min(with_st, key=lambda t: (float(np.hypot(*(t["xy"] - tw["xy"]))), t["code"]))["code"]
    return out


def _township_tier(cty: County, tws: list[dict], vils: list[dict], rng: np.random.Generator, add) -> None:
    """A postal branch in every township, supply-co-op stations in ~80 %, courier outlets in ~40-60 %.

    Capacities (parcels a day) carry the whole flow: the inbound parcels a delivery day of the villages each
    station serves × a headroom drawn from :data:`STATION_HEADROOM`.  A postal branch serves its township's
    whole flow (it is the shared plan's township station); a supply-co-op station and a courier outlet their
    operator's share (:data:`SHARES`) of their own township and of the townships without that operator's
    station that are nearest to theirs.
    """
    cshort = county_short(cty.name)
    n = len(tws)
    nv = {tw["code"]: 0 for tw in tws}
    for v in vils:
        nv[v["township_code"]] += 1
    tw_in = _township_inbound(vils)
    for tw in tws:
        add("postal", "township", f"{tw['name']}邮政支局", _offset_inside(cty, tw["xy"], 80, 600, rng),
            cap=_station_capacity(tw_in.get(tw["code"], 0.0), rng.uniform(*STATION_HEADROOM)), key=tw["code"])
    k_sc = max(1, int(round(0.8 * n)))
    sc_pick = sorted(rng.permutation(n)[:k_sc].tolist())
    sc_served = _served_townships(tws, {tws[i]["code"] for i in sc_pick})
    for i in sc_pick:
        tw = tws[i]
        load = SHARES["supply_coop"] * sum(tw_in.get(t, 0.0) for t, s in sc_served.items() if s == tw["code"])
        add("supply_coop", "township", f"{tw['name']}供销社配送站", _offset_inside(cty, tw["xy"], 150, 900, rng),
            cap=_station_capacity(load, rng.uniform(*STATION_HEADROOM)), key=tw["code"])
    frac = rng.uniform(0.4, 0.6)
    k_cr = max(1, int(round(frac * n)))
    noise = rng.lognormal(0.0, 0.35, n)
    score = np.array([(nv[tw["code"]] + 5) * (2.0 if tw["kind"] == "subdistrict" else 1.0) for tw in tws]) * noise
    cr_pick = sorted(np.argsort(-score, kind="stable")[:k_cr].tolist())
    cr_served = _served_townships(tws, {tws[i]["code"] for i in cr_pick})
    for i in cr_pick:
        tw = tws[i]
        load = SHARES["courier"] * sum(tw_in.get(t, 0.0) for t, s in cr_served.items() if s == tw["code"])
        n_out = 2 if rng.uniform() < (0.6 if tw["kind"] == "subdistrict" else 0.35) else 1
        brands = rng.choice(len(BRANDS), size=n_out, replace=False)
        for b in sorted(brands.tolist()):
            add("courier", "township", f"{BRANDS[b]}快递{cshort}{township_short(tw['name'])}网点",
                _offset_inside(cty, tw["xy"], 100, 1200, rng), brand=BRANDS[b],
                cap=_station_capacity(load, rng.uniform(*STATION_HEADROOM)), key=tw["code"] + BRANDS[b])


def _village_tier(cty: County, vils: list[dict], vxy: np.ndarray, streams: dict, facs: list[dict], add
                  ) -> tuple[tuple[float, float], float]:
    """Village service points: one stream per operator draws for every village, then a threshold per operator.

    The thresholds are the nominal shares, raised (shared points first, then every operator) until the
    share of villages unreached by some operator falls into :data:`UNREACHED_BAND`.  Returns the scale used
    and the unreached share at the nominal shares.
    """
    draws = {}
    for op in ("postal", "supply_coop", "courier", "shared"):
        r = streams["village_" + op]
        u = r.uniform(size=len(vils))
        offs = [_offset_inside(cty, v["xy"], 30, 150, r) for v in vils]
        caps = r.uniform(size=len(vils))
        brand = r.integers(0, len(BRANDS), size=len(vils))
        draws[op] = (u, offs, caps, brand)

    base_xy = np.array([f["xy"] for f in facs])
    base_op = [f["op"] for f in facs]

    def select(scale: tuple[float, float]) -> dict[str, np.ndarray]:
        shared_mult, all_mult = scale
        return {op: draws[op][0] < min(1.0, VILLAGE_SERVICE_SHARES[op] * all_mult
                                       * (shared_mult if op == "shared" else 1.0)) for op in draws}

    def share(scale: tuple[float, float]) -> float:
        sel = select(scale)
        xy = [base_xy] + [np.array(draws[op][1])[sel[op]] for op in draws if sel[op].any()]
        ops = base_op + [op for op in draws for _ in range(int(sel[op].sum()))]
        return unreached_share(vxy, np.vstack(xy), ops)

    def bisect(make, a: float, b: float, target: float) -> float:
        for _ in range(24):  # share() is non-increasing in either multiplier
            mid = (a + b) / 2
            if share(make(mid)) > target:
                a = mid
            else:
                b = mid
        return round(b, 4)

    _, hi = UNREACHED_BAND
    target = hi - 0.03
    scale = (1.0, 1.0)
    s1 = share(scale)
    if len(vils) and s1 > hi:
        # too sparse for the nominal shares: first add shared 村级寄递物流综合服务站 (they serve every
        # operator; up to MAX_SHARED_MULT x 8 %), then scale every operator (up to MAX_SERVICE_SCALE x)
        if share((MAX_SHARED_MULT, 1.0)) > target:
            scale = (MAX_SHARED_MULT, bisect(lambda m: (MAX_SHARED_MULT, m), 1.0, MAX_SERVICE_SCALE, target))
        else:
            scale = (bisect(lambda m: (m, 1.0), 1.0, MAX_SHARED_MULT, target), 1.0)
    sel = select(scale)
    cap_rng = {"postal": (20, 60), "supply_coop": (15, 50), "courier": (30, 100), "shared": (50, 150)}
    suffix = {"postal": "村邮站", "supply_coop": "供销社农家店", "shared": "村级寄递物流综合服务站"}
    for op in ("postal", "supply_coop", "courier", "shared"):
        u, offs, caps, brand = draws[op]
        lo_c, hi_c = cap_rng[op]
        for i in np.flatnonzero(sel[op]):
            v = vils[i]
            vs = village_short(v["name"])
            cap = int(round(lo_c + caps[i] * (hi_c - lo_c)))
            if op == "courier":
                b = BRANDS[int(brand[i])]
                add(op, "village", f"{b}快递{vs}服务站", offs[i], brand=b, cap=cap, key=v["code"])
            else:
                add(op, "village", f"{vs}{suffix[op]}", offs[i], cap=cap, key=v["code"])
    return scale, s1


def _number(facs: list[dict], adcode: str) -> None:
    """Stable ids (in place): per (operator, tier), numbered in key order; then sorted by id."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for f in facs:
        groups.setdefault((f["op"], f["tier"]), []).append(f)
    for (op, tier), items in groups.items():
        items.sort(key=lambda f: f["key"])
        width = max(3, len(str(len(items))))
        for i, f in enumerate(items, 1):
            f["id"] = f"{adcode}-{OPERATOR_LETTER[op]}{TIER_LETTER[tier]}-{i:0{width}d}"
    facs.sort(key=lambda f: f["id"])
