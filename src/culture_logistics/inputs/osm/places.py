"""Match OSM place names to the NBS village and township lists of one county.

OSM writes the short forms people use (花园社区, 黄坑村, 花园街道); NBS writes the
official ones (花园居民委员会, 黄坑村民委员会, 花园街道).  Names are compared after
removing one administrative suffix (:data:`VILLAGE_SUFFIXES`, :data:`TOWNSHIP_SUFFIXES`);
the suffix OSM used also says which *kind* of unit is meant: 社区/居委会 → a residents'
committee (NBS codes ``001-199``), 村/村委会 → a village committee (``200-399``).

Rules, in order, for an OSM place whose name ends with a township suffix (街道, 镇, 乡 …):
the NBS township of the same base name (its point becomes the township seat).  For any
other place:

1. candidates (:meth:`_VillageIndex.candidates`, first rule with one wins): the NBS names that
   are the OSM name plus an official suffix (朱解社区 → 朱解社区村民委员会 or 朱解社区居民委员会,
   whichever exists; 新村 → 新村村民委员会); else the same base name of the kind the OSM suffix
   names (花园社区 → 花园居民委员会, never 花园村民委员会; a name without suffix keeps both kinds);
   else an NBS "…社区村民委员会" by its name without 社区 (朱解村 → 朱解社区村民委员会).  A name
   NBS has only as the other kind is refused (``osm_unmatched``, "the other kind");
2. one candidate: ``matched`` (``detail`` says which rule);
3. several (the same name in two townships): the candidate whose township seat (an OSM
   township point matched above) is nearest, ``matched_by_location``; with no seat, the
   township holding a majority of the :data:`NEIGHBOURS_K` nearest places matched by name
   alone, ``matched_by_neighbours``; no majority: ``ambiguous``, not matched;
4. an NBS village already taken is not given twice: ``duplicate``.  Name matches take
   their village first, then matches by seat, then by neighbours, each in OSM id order.

Nothing is invented: an NBS village with no OSM point stays out of villages.csv and is
listed as ``nbs_no_point``; an OSM place with no NBS name as ``osm_unmatched`` (with the
closest NBS name, for a person to check).
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: official and colloquial village-level suffixes, longest first (one is removed)
VILLAGE_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "社区委员会", "居委会", "村委会",
                    "社区", "村")
#: what NBS appends to a village-level name (an OSM name plus one of these is the NBS name)
OFFICIAL_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "委员会")
RESIDENTS = ("社区居民委员会", "社区居委会", "居民委员会", "社区委员会", "居委会", "社区")
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

    The township pass feeds the seats the village pass decides
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
    index = _VillageIndex(nbs_villages)
    taken: dict[str, int] = {}
    rows = []
    by_id: dict[int, dict] = {}
    found: list[tuple[dict, list[tuple[str, str, str]], str]] = []     # (place, candidates, how) to decide
    for p in rest:
        name = _clean(p["name"])
        cands, how, refusal = index.candidates(name)
        if refusal is not None:
            by_id[p["osm_id"]] = _decision("village", p, *refusal)
            continue
        found.append((p, cands, how))
    # pass 1: one candidate, or several decided by the nearest township seat
    late: list[tuple[dict, list[tuple[str, str, str]], str]] = []
    decided: dict[int, tuple[Any, str, Any]] = {}  # osm id -> (candidate or None, decision, detail text or row)
    for p, cands, how in found:
        if len(cands) == 1:
            decided[p["osm_id"]] = (cands[0], "matched", how)
            continue
        listed = ", ".join(f"{c[0]} {c[1]}" for c in cands)
        placed = [(c, _metres(p["lon"], p["lat"], tw_points[c[2]]["lon"], tw_points[c[2]]["lat"]))
                  for c in cands if c[2] in tw_points]
        if placed:
            best, dist = min(placed, key=lambda t: (t[1], t[0][0]))
            decided[p["osm_id"]] = (best, "matched_by_location", f"{how}; matched_by_location: nearest township "
                                    f"seat {best[2]} at {dist / 1000:.1f} km; candidates {listed}")
        else:
            late.append((p, cands, how))
    # pass 2: the same name in several townships and no seat: the townships of the nearest places matched in pass 1
    place_by_id = {p["osm_id"]: p for p, _, _ in found}
    anchors = [(place_by_id[i]["lon"], place_by_id[i]["lat"], cand[2]) for i, (cand, decision, _) in decided.items()
               if decision == "matched"]
    for p, cands, how in late:
        listed = ", ".join(f"{c[0]} {c[1]}" for c in cands)
        best, detail = _by_neighbours(p, cands, anchors)
        if best is None:
            decided[p["osm_id"]] = (None, "ambiguous", _decision(
                "village", p, "", listed, "ambiguous",
                f"{len(cands)} NBS villages of this name, no township point, and {detail}: {listed}"))
            continue
        decided[p["osm_id"]] = (best, "matched_by_neighbours", f"{how}; matched_by_neighbours: {detail}; "
                                f"candidates {listed}")
    # NBS villages are given once: name matches first, then by seat, then by neighbours; each by OSM id
    order = {"matched": 0, "matched_by_location": 1, "matched_by_neighbours": 2, "ambiguous": 3}
    for osm_id in sorted(decided, key=lambda i: (order[decided[i][1]], i)):
        cand, decision, detail = decided[osm_id]
        p = place_by_id[osm_id]
        if cand is None:
            by_id[osm_id] = detail
            continue
        code, nbs_name, tw = cand
        if code in taken:
            by_id[osm_id] = _decision("village", p, code, nbs_name, "duplicate",
                                      f"{code} already matched to OSM node {taken[code]}")
            continue
        taken[code] = osm_id
        by_id[osm_id] = _decision("village", p, code, nbs_name, decision, detail)
        pop = p.get("population", "")
        try:
            pop_v = max(int(float(str(pop).replace(",", ""))), 0) if pop else 0
        except ValueError:
            pop_v = 0
        rows.append({"code": code, "name": nbs_name, "township_code": tw, "lon": p["lon"], "lat": p["lat"],
                     "population": pop_v, "osm_id": osm_id, "osm_name": p["name"], "match": decision})
    decisions += [by_id[p["osm_id"]] for p in rest]
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


#: neighbours asked when a name is in several townships and no seat decides; a township needs a majority
NEIGHBOURS_K = 5


def _by_neighbours(p: dict, cands: list[tuple[str, str, str]], anchors: list[tuple[float, float, str]]):
    """The candidate whose township holds a majority of the :data:`NEIGHBOURS_K` nearest name-matched places.

    Returns ``(candidate, detail)``, or ``(None, why not)`` when no candidate township has more than
    half of them (a place on a township border stays ``ambiguous`` rather than guessed).
    """
    if not anchors:
        return None, "no place matched by name to decide by"
    near = sorted(anchors, key=lambda a: _metres(p["lon"], p["lat"], a[0], a[1]))[:NEIGHBOURS_K]
    votes = {c[2]: sum(a[2] == c[2] for a in near) for c in cands}
    top = max(votes.values())
    winners = [c for c in cands if votes[c[2]] == top]
    need = len(near) // 2 + 1
    counted = ", ".join(f"{tw} {n}" for tw, n in sorted(votes.items()))
    if top < need or len(winners) != 1:
        return None, f"the {len(near)} nearest matched places do not decide ({counted})"
    far_m = _metres(p["lon"], p["lat"], near[-1][0], near[-1][1])
    return winners[0], (f"{top} of the {len(near)} nearest matched places (within {far_m / 1000:.1f} km) are in "
                        f"township {winners[0][2]} ({counted})")


class _VillageIndex:
    """NBS village names of one county looked up by the forms OSM mappers write."""

    def __init__(self, nbs_villages: pd.DataFrame):
        self.by_name: dict[str, list[tuple[str, str, str]]] = {}
        self.by_base: dict[str, list[tuple[str, str, str]]] = {}
        self.by_stem: dict[str, list[tuple[str, str, str]]] = {}
        for code, name, tw in zip(nbs_villages["code"], nbs_villages["name"], nbs_villages["parent_code"]):
            c = (code, name, tw)
            clean = _clean(name)
            base = village_base(clean)[0]
            self.by_name.setdefault(clean, []).append(c)
            self.by_base.setdefault(base, []).append(c)
            stem = _stem(base)
            if stem != base:
                self.by_stem.setdefault(stem, []).append(c)
        self.base_names = {village_base(n)[0]: n for n in nbs_villages["name"]}

    def candidates(self, name: str):
        """``(candidates, how, None)``, or ``(None, None, (code, nbs_name, decision, detail))`` when refused.

        In order, the first rule with a candidate wins:

        1. ``full name``: an NBS name that is the OSM name plus an official suffix (朱解社区 →
           朱解社区村民委员会 or 朱解社区居民委员会, whichever exists; 新村 → 新村村民委员会);
        2. ``base name and kind``: the same base name and the kind the OSM suffix names (花园社区 →
           花园居民委员会, not 花园村民委员会); a name without suffix takes either kind;
        3. ``stem and kind``: an NBS "…社区村民委员会" found by the name without 社区 (朱解村 →
           朱解社区村民委员会, a village committee; 朱解 → either kind).
        """
        base, kind = village_base(name)
        full = [c for suf in ("", *OFFICIAL_SUFFIXES) for c in self.by_name.get(name + suf, [])]
        if full:
            return full, "full name", None
        same = [c for c in self.by_base.get(base, []) if not kind or _nbs_kind(c[0]) == kind]
        if same:
            return same, "base name and kind", None
        stem = [c for c in self.by_stem.get(_stem(base), []) if not kind or _nbs_kind(c[0]) == kind]
        if stem:
            return stem, "stem and kind", None
        other = self.by_base.get(base, [])
        if other:
            return None, None, (other[0][0], other[0][1], "osm_unmatched",
                                f"NBS has {other[0][1]} but the OSM suffix names the other kind "
                                f"({'社区/居委会' if kind == 'residents' else '村'}); not matched")
        close = [self.base_names[b] for b in difflib.get_close_matches(base, list(self.base_names), n=1, cutoff=0.6)]
        return None, None, ("", close[0] if close else "", "osm_unmatched",
                            "no NBS village of this name" + (f"; closest NBS name {close[0]}" if close else ""))


def _stem(base: str) -> str:
    return base[:-2] if base.endswith("社区") and len(base) > 2 else base


def _decision(kind: str, p: dict, code: str, nbs_name: str, decision: str, detail: str) -> dict:
    return {"kind": kind, "osm_id": p["osm_id"], "osm_name": p["name"], "place": p.get("place", ""),
            "lon": p["lon"], "lat": p["lat"], "code": code, "nbs_name": nbs_name, "decision": decision,
            "detail": detail}
