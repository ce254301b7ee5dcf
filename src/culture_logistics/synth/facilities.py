"""The synthetic facilities of a county: depots, township stations and village service points.

Part of the seeded builder (:mod:`culture_logistics.synth.builder`); positions in the county's UTM metres.
"""
from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Point

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
    """The county depots, sized to the inbound demand (contract rule: 1 parcel per 100 residents a week)."""
    cname = cty.name
    demand = sum(math.ceil(v["population"] * 0.010) for v in vils) / 7.0
    add("shared", "county", f"{cname}县级共配中心", cty.seat_xy,
        cap=int(max(1000, round(demand * rng.uniform(1.8, 2.6), -2))), key="0")
    add("postal", "county", f"中国邮政{cname}分公司县级寄递处理中心",
        _offset_inside(cty, cty.seat_xy, 1000, 3500, rng), cap=int(max(500, round(demand * rng.uniform(1.0, 1.4), -2))))
    add("supply_coop", "county", f"{cname}供销社县级物流配送中心",
        _offset_inside(cty, cty.seat_xy, 1500, 5000, rng), cap=int(max(500, round(demand * rng.uniform(0.5, 0.8), -2))))
    add("courier", "county", f"{cname}快递物流园分拨中心", _offset_inside(cty, cty.seat_xy, 2000, 6000, rng),
        brand="/".join(BRANDS), cap=int(max(500, round(demand * rng.uniform(1.3, 1.8), -2))))


def _township_tier(cty: County, tws: list[dict], vils: list[dict], rng: np.random.Generator, add) -> None:
    """A postal branch in every township, supply-co-op stations in ~80 %, courier outlets in ~40-60 %."""
    cshort = county_short(cty.name)
    n = len(tws)
    nv = {tw["code"]: 0 for tw in tws}
    for v in vils:
        nv[v["township_code"]] += 1
    for tw in tws:
        add("postal", "township", f"{tw['name']}邮政支局", _offset_inside(cty, tw["xy"], 80, 600, rng),
            cap=int(round(rng.uniform(150, 400), -1)), key=tw["code"])
    k_sc = max(1, int(round(0.8 * n)))
    sc_pick = sorted(rng.permutation(n)[:k_sc].tolist())
    for i in sc_pick:
        tw = tws[i]
        add("supply_coop", "township", f"{tw['name']}供销社配送站", _offset_inside(cty, tw["xy"], 150, 900, rng),
            cap=int(round(rng.uniform(80, 250), -1)), key=tw["code"])
    frac = rng.uniform(0.4, 0.6)
    k_cr = max(1, int(round(frac * n)))
    noise = rng.lognormal(0.0, 0.35, n)
    score = np.array([(nv[tw["code"]] + 5) * (2.0 if tw["kind"] == "subdistrict" else 1.0) for tw in tws]) * noise
    cr_pick = sorted(np.argsort(-score, kind="stable")[:k_cr].tolist())
    for i in cr_pick:
        tw = tws[i]
        n_out = 2 if rng.uniform() < (0.6 if tw["kind"] == "subdistrict" else 0.35) else 1
        brands = rng.choice(len(BRANDS), size=n_out, replace=False)
        for b in sorted(brands.tolist()):
            add("courier", "township", f"{BRANDS[b]}快递{cshort}{township_short(tw['name'])}网点",
                _offset_inside(cty, tw["xy"], 100, 1200, rng), brand=BRANDS[b],
                cap=int(round(rng.uniform(200, 600), -1)), key=tw["code"] + BRANDS[b])


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
