"""Match OSM place names to the NBS village and township lists of one county.

OSM writes the short forms people use (花园社区, 黄坑村, 花园街道); NBS writes the
official ones (花园居民委员会, 黄坑村民委员会, 花园街道).  Names are compared after
removing one administrative suffix (:data:`VILLAGE_SUFFIXES`, :data:`TOWNSHIP_SUFFIXES`);
the suffix OSM used also says which *kind* of unit is meant: 社区/居委会 → a residents'
committee (NBS codes ``001-199``), 村/村委会 → a village committee (``200-399``).

Rules, in order, for an OSM place whose name ends with a township suffix (街道, 镇, 乡 …):
the NBS township of the same base name (its point becomes the township seat).  For any
other place:

1. the NBS villages whose base name equals the OSM base name (or the whole OSM name,
   so 新村 still finds 新村村民委员会);
2. of those, the ones of the kind the OSM suffix names (a name without suffix keeps all);
3. one left: matched.  Several left (the same name in two townships): decided by
   location — the candidate whose township seat (an OSM township point matched above)
   is nearest; listed as ``matched_by_location``.  No township point to decide with:
   ``ambiguous``, not matched;
4. an NBS village already taken by an earlier OSM place (sorted by OSM id) is not
   given twice: ``duplicate``.

Nothing is invented: an NBS village with no OSM point stays out of villages.csv and is
listed as ``nbs_no_point``; an OSM place with no NBS name as ``osm_unmatched`` (with the
closest NBS name, for a person to check).
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

import pandas as pd

#: official and colloquial village-level suffixes, longest first (one is removed)
VILLAGE_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "社区委员会", "居委会", "村委会",
                    "社区", "村")
RESIDENTS = ("社区居民委员会", "社区居委会", "居民委员会", "社区委员会", "居委会", "社区")
VILLAGERS = ("村民委员会", "村委会", "村")
#: township-level suffixes (the NBS township name keeps them; OSM may add 办事处)
TOWNSHIP_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡")

_SPACE = re.compile(r"[\s\u3000]+|[(（][^)）]*[)）]")


def _clean(name: str) -> str:
    return _SPACE.sub("", str(name or ""))


def village_base(name: str) -> tuple[str, str]:
    """``(base, kind)`` of a village-level name: one suffix removed; kind ``residents``, ``villagers`` or ``""``.

    >>> village_base("花园居民委员会"), village_base("花园社区"), village_base("黄坑村")
    (('花园', 'residents'), ('花园', 'residents'), ('黄坑', 'villagers'))
    """
    s = _clean(name)
    for suf in VILLAGE_SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf):
            return s[: -len(suf)], "residents" if suf in RESIDENTS else "villagers"
    return s, ""


def township_base(name: str) -> str:
    """A township name without 街道办事处/办事处/街道/镇/乡 (花园街道 → 花园)."""
    s = _clean(name)
    for suf in TOWNSHIP_SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf):
            return s[: -len(suf)]
    return s


def _nbs_kind(code: str) -> str:
    n = int(code[9:12])
    return "residents" if n < 200 or 400 <= n < 500 else "villagers"


def _metres(lon1, lat1, lon2, lat2) -> float:
    k = 111_320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians((lat1 + lat2) / 2)), (lat1 - lat2) * k)


@dataclass
class PlaceMatch:
    """Result of :func:`match_places`.

    Attributes
    ----------
    villages : DataFrame
        ``code, name, township_code, lon, lat, population, osm_id, osm_name, match`` —
        one row per matched NBS village (WGS-84 degrees; population from the OSM
        ``population`` tag, else 0 = unknown).
    townships : DataFrame
        ``code, name, lon, lat, osm_id`` of NBS townships with an OSM point.
    decisions : list of dict
        one row per OSM place and per NBS village without a point:
        ``kind, osm_id, osm_name, place, lon, lat, code, nbs_name, decision, detail``.
    """

    villages: pd.DataFrame
    townships: pd.DataFrame
    decisions: list[dict] = field(default_factory=list)


def match_places(places: list[dict], nbs_villages: pd.DataFrame, nbs_townships: pd.DataFrame) -> PlaceMatch:
    """Match OSM ``place=*`` nodes to NBS codes (rules in the module docstring).

    One piece on purpose: the township pass feeds the seats the village pass decides
    duplicates by, and both write into the same decision list in a fixed order.

    Parameters
    ----------
    places : list of dict
        ``osm_id, place, name, lon, lat`` (and optional ``population``) as read by
        :func:`culture_logistics.inputs.osm.reader.read_extract`.
    nbs_villages, nbs_townships : DataFrame
        the county's lists from :mod:`culture_logistics.geo.divisions`.
    """
    places = sorted(places, key=lambda p: p["osm_id"])
    decisions: list[dict] = []
    tw_by_base: dict[str, list[tuple[str, str]]] = {}
    for code, name in zip(nbs_townships["code"], nbs_townships["name"]):
        tw_by_base.setdefault(township_base(name), []).append((code, name))
    tw_points: dict[str, dict] = {}
    rest = []
    for p in places:
        name = _clean(p["name"])
        is_tw_name = name.endswith(TOWNSHIP_SUFFIXES) and not name.endswith(VILLAGE_SUFFIXES)
        cands: list = tw_by_base.get(township_base(name), []) if is_tw_name else []
        if len(cands) == 1:
            code, nbs_name = cands[0]
            row = _decision("township", p, code, nbs_name, "matched", "township point (seat)")
            if code in tw_points:
                row["decision"], row["detail"] = "duplicate", f"township {code} already has OSM point {tw_points[code]['osm_id']}"
            else:
                tw_points[code] = p
            decisions.append(row)
        else:
            rest.append(p)
    by_base: dict[str, list[tuple[str, str, str]]] = {}
    for code, name, tw in zip(nbs_villages["code"], nbs_villages["name"], nbs_villages["parent_code"]):
        by_base.setdefault(village_base(name)[0], []).append((code, name, tw))
    base_names = {village_base(n)[0]: n for n in nbs_villages["name"]}
    taken: dict[str, int] = {}
    rows = []
    for p in rest:
        name = _clean(p["name"])
        base, kind = village_base(name)
        cands = by_base.get(base, []) or by_base.get(name, [])
        same_kind = [c for c in cands if not kind or _nbs_kind(c[0]) == kind]
        if not cands:
            close = [base_names[b] for b in difflib.get_close_matches(base, list(base_names), n=1, cutoff=0.6)]
            decisions.append(_decision("village", p, "", close[0] if close else "", "osm_unmatched",
                                       "no NBS village of this name" + (f"; closest NBS name {close[0]}" if close else "")))
            continue
        if not same_kind:
            decisions.append(_decision("village", p, cands[0][0], cands[0][1], "osm_unmatched",
                                       f"NBS has {cands[0][1]} but the OSM suffix names the other kind "
                                       f"({'社区/居委会' if kind == 'residents' else '村'}); not matched"))
            continue
        detail = "name"
        if len(same_kind) > 1:
            seats = [(c, tw_points.get(c[2])) for c in same_kind]
            placed = [(c, _metres(p["lon"], p["lat"], s["lon"], s["lat"])) for c, s in seats if s is not None]
            listed = ", ".join(f"{c[0]} {c[1]}" for c in same_kind)
            if not placed:
                decisions.append(_decision("village", p, "", listed, "ambiguous",
                                           f"{len(same_kind)} NBS villages of this name and no township point to "
                                           f"decide by: {listed}"))
                continue
            best, dist = min(placed, key=lambda t: (t[1], t[0][0]))
            same_kind = [best]
            detail = (f"matched_by_location: nearest township seat {best[2]} at {dist / 1000:.1f} km; "
                      f"candidates {listed}")
        code, nbs_name, tw = same_kind[0]
        if code in taken:
            decisions.append(_decision("village", p, code, nbs_name, "duplicate",
                                       f"{code} already matched to OSM node {taken[code]}"))
            continue
        taken[code] = p["osm_id"]
        decision = "matched_by_location" if detail.startswith("matched_by_location") else "matched"
        decisions.append(_decision("village", p, code, nbs_name, decision, detail))
        pop = p.get("population", "")
        try:
            pop_v = max(int(float(str(pop).replace(",", ""))), 0) if pop else 0
        except ValueError:
            pop_v = 0
        rows.append({"code": code, "name": nbs_name, "township_code": tw, "lon": p["lon"], "lat": p["lat"],
                     "population": pop_v, "osm_id": p["osm_id"], "osm_name": p["name"], "match": decision})
    for code, name in zip(nbs_villages["code"], nbs_villages["name"]):
        if code not in taken:
            decisions.append({"kind": "village", "osm_id": "", "osm_name": "", "place": "", "lon": "", "lat": "",
                              "code": code, "nbs_name": name, "decision": "nbs_no_point",
                              "detail": "no OSM place of this name: add the village to a --villages file"})
    villages = pd.DataFrame(rows, columns=["code", "name", "township_code", "lon", "lat", "population", "osm_id",
                                           "osm_name", "match"]).sort_values("code").reset_index(drop=True)
    tw_rows = [{"code": c, "name": n, "lon": tw_points[c]["lon"] if c in tw_points else "",
                "lat": tw_points[c]["lat"] if c in tw_points else "",
                "osm_id": tw_points[c]["osm_id"] if c in tw_points else ""}
               for c, n in zip(nbs_townships["code"], nbs_townships["name"])]
    return PlaceMatch(villages=villages, townships=pd.DataFrame(tw_rows, columns=["code", "name", "lon", "lat",
                                                                                  "osm_id"]),
                      decisions=decisions)


def _decision(kind: str, p: dict, code: str, nbs_name: str, decision: str, detail: str) -> dict:
    return {"kind": kind, "osm_id": p["osm_id"], "osm_name": p["name"], "place": p.get("place", ""),
            "lon": p["lon"], "lat": p["lat"], "code": code, "nbs_name": nbs_name, "decision": decision,
            "detail": detail}
