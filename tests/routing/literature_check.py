"""An independent checker of MDVRP, PVRP and 2E-CVRP answers (issue 22), sharing no code with the product.

It reads the benchmark files with its own few lines of parsing, recomputes every route's length with
unrounded Euclidean distances and checks every rule of the benchmark folders' READMEs.  An answer is the
``solve-vrp --json`` object: ``routes`` (MDVRP ``{"depot": d, "stops": [...]}`` with depots numbered n+1…n+t
as in the file; PVRP ``{"day": k, "stops": [...]}`` plus ``visit_days``; 2E-CVRP ``{"echelon": 1, "stops":
[satellites], "unload": {satellite: quantity}}`` and ``{"echelon": 2, "satellite": s, "stops": [customers]}``).
Each ``check_*`` returns ``(cost, problems)``: the recomputed cost and the list of broken rules (empty = feasible).
The reference solutions of the bench folders are turned into answers by ``*_reference`` below.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

TOL = 1e-6


def _lines(path):
    return [ln.split() for ln in Path(path).read_text().splitlines() if ln.split()]


def _d(a, b) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _tour(pts) -> float:
    return sum(_d(a, b) for a, b in zip(pts[:-1], pts[1:]))


def read_cordeau(path):
    """{'type', 'm', 'n', 't', 'DQ', 'cust': {i: (x, y, d, q, f, [codes])}, 'depots': {id: (x, y)}}."""
    L = _lines(path)
    typ, m, n, t = (int(v) for v in L[0][:4])
    DQ = [(float(a[0]), float(a[1])) for a in L[1:1 + t]]
    rows = L[1 + t:]
    depots = {}
    if typ == 1:
        depots[0] = (float(rows[0][1]), float(rows[0][2]))
        rows = rows[1:]
    cust = {}
    for r in rows[:n]:
        a = int(r[6])
        cust[int(r[0])] = (float(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5]), [int(c) for c in r[7:7 + a]])
    if typ == 2:
        for r in rows[n:n + t]:
            depots[int(r[0])] = (float(r[1]), float(r[2]))
    return {"type": typ, "m": m, "n": n, "t": t, "DQ": DQ, "cust": cust, "depots": depots}


def _unknown_customer(k: int, stops: list, cust: dict, P: list) -> bool:
    """True (and the problem noted) when route ``k`` names a customer the file does not have."""
    if any(c not in cust for c in stops):
        P.append(f"route {k}: unknown customer in {stops}")
        return True
    return False


def _mark_served_once(k: int, stops: list, seen: dict, P: list) -> None:
    """Record that route ``k`` serves ``stops``; a customer already served by another route is a problem."""
    for c in stops:
        if c in seen:
            P.append(f"customer {c} served twice (routes {seen[c]} and {k})")
        seen[c] = k


def check_mdvrp(path, answer) -> tuple[float, list[str]]:
    I = read_cordeau(path)
    n, t, m = I["n"], I["t"], I["m"]
    P, cost, seen, per_depot = [], 0.0, {}, {}
    for k, r in enumerate(answer["routes"]):
        dep = r["depot"]
        if dep not in I["depots"]:
            P.append(f"route {k}: unknown depot {dep} (depots are {n + 1}..{n + t})")
            continue
        per_depot[dep] = per_depot.get(dep, 0) + 1
        D, Q = I["DQ"][dep - n - 1]
        stops = r["stops"]
        if _unknown_customer(k, stops, I["cust"], P):
            continue
        _mark_served_once(k, stops, seen, P)
        load = sum(I["cust"][c][3] for c in stops)
        length = _tour([I["depots"][dep]] + [I["cust"][c][:2] for c in stops] + [I["depots"][dep]])
        cost += length
        if load > Q + TOL:
            P.append(f"route {k}: load {load:g} exceeds capacity {Q:g}")
        dur = length + sum(I["cust"][c][2] for c in stops)
        if D > 0 and dur > D + TOL:
            P.append(f"route {k}: duration {dur:.4f} exceeds {D:g}")
    for dep, cnt in per_depot.items():
        if cnt > m:
            P.append(f"depot {dep}: {cnt} routes, only {m} vehicles")
    missing = sorted(set(I["cust"]) - set(seen))
    if missing:
        P.append(f"customers not served: {missing[:10]}")
    return cost, P


def code_days(code: int, t: int) -> tuple:
    return tuple(d for d in range(1, t + 1) if (code >> (t - d)) & 1)


def check_pvrp(path, answer) -> tuple[float, list[str]]:
    I = read_cordeau(path)
    t, m = I["t"], I["m"]
    depot = I["depots"][0]
    P, cost, per_day, visits = [], 0.0, {}, {}
    for k, r in enumerate(answer["routes"]):
        day = r["day"]
        if not 1 <= day <= t:
            P.append(f"route {k}: day {day} outside 1..{t}")
            continue
        per_day[day] = per_day.get(day, 0) + 1
        D, Q = I["DQ"][day - 1]
        stops = r["stops"]
        if _unknown_customer(k, stops, I["cust"], P):
            continue
        for c in stops:
            visits.setdefault(c, []).append(day)
        load = sum(I["cust"][c][3] for c in stops)
        length = _tour([depot] + [I["cust"][c][:2] for c in stops] + [depot])
        cost += length
        if load > Q + TOL:
            P.append(f"route {k} (day {day}): load {load:g} exceeds capacity {Q:g}")
        dur = length + sum(I["cust"][c][2] for c in stops)
        if D > 0 and dur > D + TOL:
            P.append(f"route {k} (day {day}): duration {dur:.4f} exceeds {D:g}")
    for day, cnt in per_day.items():
        if cnt > m:
            P.append(f"day {day}: {cnt} routes, only {m} vehicles")
    stated = {int(c): sorted(v) for c, v in answer.get("visit_days", {}).items()}
    for c, (_, _, _, _, f, codes) in I["cust"].items():
        days = sorted(visits.get(c, []))
        if len(set(days)) != len(days):
            P.append(f"customer {c} visited twice on one day: {days}")
        allowed = [code_days(x, t) for x in codes]
        if tuple(days) not in allowed:
            P.append(f"customer {c} visited on days {days}, not an allowed combination {allowed}")
        if "visit_days" in answer and stated.get(c) != days:
            P.append(f"customer {c}: visit_days says {stated.get(c)}, the routes visit it on {days}")
    return cost, P


def read_breunig(path):
    data = [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.strip().startswith("!")]
    k1, q1 = (float(v) for v in data[0].split(",")[:2])
    per_sat, k2, q2 = (float(v) for v in data[1].split(",")[:3])
    stores = [tuple(float(v) for v in p.split(",")) for p in data[2].split()]
    custs = [tuple(float(v) for v in p.split(",")) for p in data[3].split()]
    return {"K1": int(k1), "Q1": q1, "K2": int(k2), "Q2": q2, "per_sat": int(per_sat), "depot": stores[0],
            "sats": {s: stores[s] for s in range(1, len(stores))},
            "cust": {i: c for i, c in enumerate(custs, start=1)}}


def check_2e(path, answer) -> tuple[float, list[str]]:
    """2E-CVRP answer against a Breunig ``.dat`` file."""
    I = read_breunig(path)
    P, cost, trucks, cfs, per_sat = [], 0.0, 0, 0, {}
    unloaded = {s: 0.0 for s in I["sats"]}
    served = {s: 0.0 for s in I["sats"]}
    seen = {}
    for k, r in enumerate(answer["routes"]):
        if r["echelon"] == 1:
            trucks += 1
            stops = r["stops"]
            if any(s not in I["sats"] for s in stops):
                P.append(f"route {k}: unknown satellite in {stops}")
                continue
            cost += _tour([I["depot"]] + [I["sats"][s] for s in stops] + [I["depot"]])
            unload = {int(s): float(q) for s, q in r["unload"].items()}
            for s, q in unload.items():
                if s not in stops:
                    P.append(f"route {k}: unloads {q:g} at satellite {s}, which it does not visit")
                    continue
                if q < -TOL:
                    P.append(f"route {k}: negative quantity at satellite {s}")
                unloaded[s] += q
            if sum(unload.values()) > I["Q1"] + TOL:
                P.append(f"route {k}: truck load {sum(unload.values()):g} exceeds {I['Q1']:g}")
        elif r["echelon"] == 2:
            cfs += 1
            s = r["satellite"]
            if s not in I["sats"]:
                P.append(f"route {k}: unknown satellite {s}")
                continue
            per_sat[s] = per_sat.get(s, 0) + 1
            stops = r["stops"]
            if _unknown_customer(k, stops, I["cust"], P):
                continue
            _mark_served_once(k, stops, seen, P)
            load = sum(I["cust"][c][2] for c in stops)
            served[s] += load
            if load > I["Q2"] + TOL:
                P.append(f"route {k}: city freighter load {load:g} exceeds {I['Q2']:g}")
            cost += _tour([I["sats"][s]] + [I["cust"][c][:2] for c in stops] + [I["sats"][s]])
        else:
            P.append(f"route {k}: echelon must be 1 or 2")
    if trucks > I["K1"]:
        P.append(f"{trucks} trucks, only {I['K1']}")
    if cfs > I["K2"]:
        P.append(f"{cfs} city freighters, only {I['K2']}")
    for s, c in per_sat.items():
        if c > I["per_sat"]:
            P.append(f"satellite {s}: {c} city freighters, at most {I['per_sat']}")
    for s in I["sats"]:
        if abs(unloaded[s] - served[s]) > 1e-6 * max(1.0, served[s]):
            P.append(f"satellite {s}: trucks unload {unloaded[s]:g}, its city freighters deliver {served[s]:g}")
    missing = sorted(set(I["cust"]) - set(seen))
    if missing:
        P.append(f"customers not served: {missing[:10]}")
    return cost, P


# ---------------------------------------------------------------- reference solutions as answers
def neo_reference(res_path, inst_path) -> dict:
    """A NEO ``.res`` (MDVRP: ``depot vehicle duration load seq``; PVRP: ``day vehicle duration load 0 … 0``)
    as an answer; the sequence's depot markers (0 or n + depot) are dropped."""
    I = read_cordeau(inst_path)
    n = I["n"]
    L = _lines(res_path)
    stated = float(L[0][0])
    routes, visit = [], {}
    for r in L[1:]:
        seq = [int(v) for v in r[4:]]
        stops = [c for c in seq if 1 <= c <= n]
        if I["type"] == 2:
            routes.append({"depot": n + int(r[0]), "stops": stops})
        else:
            routes.append({"day": int(r[0]), "stops": stops})
            for c in stops:
                visit.setdefault(c, []).append(int(r[0]))
    ans = {"cost": stated, "routes": routes}
    if I["type"] == 1:
        ans["visit_days"] = {str(c): sorted(v) for c, v in visit.items()}
    return ans


def witness_reference(path) -> dict:
    """A 2E ``.witness.json`` as an answer."""
    w = json.loads(Path(path).read_text())
    routes = [{"echelon": 1, "stops": [s for s in r["tour"] if s != 0], "unload": r["deliveries"]}
              for r in w["first_echelon"]]
    routes += [{"echelon": 2, "satellite": r["satellite"], "stops": r["customers"]} for r in w["second_echelon"]]
    return {"cost": w["objective"], "routes": routes}


def cabrera_reference(path, n_satellites: int) -> dict:
    """ncabrera10's solution lines ``k - a -> b(qty) -> … -> a - cost`` (0 = depot, 1..S satellites, S+1.. customers)."""
    routes = []
    cost = 0.0
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        _, body, c = [p.strip() for p in line.split(" - ")]
        cost += float(c)
        nodes = [p.strip() for p in body.split("->")]
        start = int(nodes[0])
        inner = [(int(p.split("(")[0]), float(p.split("(")[1].rstrip(")"))) for p in nodes[1:-1]]
        if start == 0:
            routes.append({"echelon": 1, "stops": [s for s, _ in inner], "unload": {str(s): q for s, q in inner}})
        else:
            routes.append({"echelon": 2, "satellite": start, "stops": [v - n_satellites for v, _ in inner]})
    return {"cost": cost, "routes": routes}
