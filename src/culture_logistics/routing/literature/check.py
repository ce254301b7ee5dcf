"""Product-side validation of a literature answer: re-scored with unrounded Euclidean distances, every
broken rule listed."""
from __future__ import annotations

import numpy as np

from culture_logistics.formats.cordeau import CordeauInstance, euclid
from culture_logistics.formats.twoe import TwoEInstance
from culture_logistics.routing.literature.common import TOL, path_length


def validate(inst: CordeauInstance | TwoEInstance, answer: dict) -> tuple[float, list[str]]:
    """Re-score ``answer["routes"]`` with unrounded Euclidean distances and list every broken rule (empty =
    feasible): each customer served as often as asked on an allowed combination, capacities, durations,
    fleet sizes, and for the 2E-CVRP the freight unloaded at each satellite equal to what leaves it."""
    if isinstance(inst, TwoEInstance):
        return _validate_twoe(inst, answer)
    real = euclid(inst.points())
    n, P, cost = inst.n, [], 0.0
    count: dict = {}
    served: dict = {}
    for k, r in enumerate(answer["routes"]):
        stops = list(r["stops"])
        if any(not (isinstance(c, int) and 1 <= c <= n) for c in stops):
            P.append(f"route {k + 1}: unknown customer in {stops}")
            continue
        if inst.kind == "mdvrp":
            dep = r["depot"] - n - 1
            if not 0 <= dep < inst.num_depots:
                P.append(f"route {k + 1}: unknown depot {r['depot']}")
                continue
            key, where = dep, f"depot {r['depot']}"
            locs = [dep] + [inst.num_depots + c - 1 for c in stops] + [dep]
        else:
            dep = r["day"] - 1
            if not 0 <= dep < inst.t:
                P.append(f"route {k + 1}: unknown day {r['day']}")
                continue
            key, where = dep, f"day {r['day']}"
            locs = [0] + [c for c in stops] + [0]
        count[key] = count.get(key, 0) + 1
        for c in stops:
            served.setdefault(c, []).append(r.get("day", 0))
        length = path_length(real, locs)
        cost += length
        load = float(sum(inst.demand[c - 1] for c in stops))
        if load > inst.capacity[key] + TOL:
            P.append(f"route {k + 1} ({where}): load {load:g} exceeds capacity {inst.capacity[key]:g}")
        dur = length + float(sum(inst.service[c - 1] for c in stops))
        if inst.max_duration[key] > 0 and dur > inst.max_duration[key] + TOL:
            P.append(f"route {k + 1} ({where}): duration {dur:.4f} exceeds {inst.max_duration[key]:g}")
    for key, cnt in count.items():
        if cnt > inst.vehicles:
            P.append(f"{'depot ' + str(n + key + 1) if inst.kind == 'mdvrp' else 'day ' + str(key + 1)}: {cnt} routes, "
                     f"{inst.vehicles} vehicles")
    for c in range(1, n + 1):
        got = sorted(served.get(c, []))
        if inst.kind == "mdvrp":
            if len(got) != 1:
                P.append(f"customer {c} served {len(got)} times")
        elif tuple(got) not in [tuple(x) for x in inst.combos[c - 1]]:
            P.append(f"customer {c} visited on days {got}, not an allowed combination")
        elif "visit_days" in answer and sorted(answer["visit_days"].get(str(c), [])) != got:
            P.append(f"customer {c}: visit_days differ from the routes")
    return cost, P


def _validate_twoe(inst: TwoEInstance, answer: dict) -> tuple[float, list[str]]:
    S, n = inst.num_satellites, inst.n
    pts = np.vstack([inst.depot_xy[None, :], inst.sat_xy, inst.xy])  # 0 depot, 1..S satellites, S+1.. customers
    real = euclid(pts)
    P, cost = [], 0.0
    trucks = cfs = 0
    inflow = [0.0] * (S + 1)
    outflow = [0.0] * (S + 1)
    per: dict = {}
    seen: dict = {}
    for k, r in enumerate(answer["routes"]):
        stops = list(r["stops"])
        if r["echelon"] == 1:
            trucks += 1
            if any(not 1 <= s <= S for s in stops):
                P.append(f"route {k + 1}: unknown satellite in {stops}")
                continue
            cost += path_length(real, [0] + stops + [0])
            un = {int(s): float(q) for s, q in r["unload"].items()}
            if any(s not in stops or q < -TOL for s, q in un.items()):
                P.append(f"route {k + 1}: unloads at a satellite it does not visit, or a negative quantity")
                continue
            for s, q in un.items():
                inflow[s] += q
            if sum(un.values()) > inst.truck_capacity + TOL:
                P.append(f"route {k + 1}: truck load {sum(un.values()):g} exceeds {inst.truck_capacity:g}")
        else:
            cfs += 1
            s = r["satellite"]
            if not 1 <= s <= S or any(not 1 <= c <= n for c in stops):
                P.append(f"route {k + 1}: unknown satellite or customer")
                continue
            per[s] = per.get(s, 0) + 1
            for c in stops:
                if c in seen:
                    P.append(f"customer {c} served twice")
                seen[c] = k
            load = float(sum(inst.demand[c - 1] for c in stops))
            outflow[s] += load
            if load > inst.freighter_capacity + TOL:
                P.append(f"route {k + 1}: city freighter load {load:g} exceeds {inst.freighter_capacity:g}")
            cost += path_length(real, [s] + [S + c for c in stops] + [s])
    if trucks > inst.trucks:
        P.append(f"{trucks} trucks, {inst.trucks} available")
    if cfs > inst.freighters:
        P.append(f"{cfs} city freighters, {inst.freighters} available")
    P += [f"satellite {s}: {c} city freighters, at most {inst.max_per_satellite}" for s, c in per.items()
          if c > inst.max_per_satellite]
    P += [f"satellite {s}: trucks unload {inflow[s]:g}, its city freighters carry {outflow[s]:g}"
          for s in range(1, S + 1) if abs(inflow[s] - outflow[s]) > 1e-6 * max(1.0, outflow[s])]
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        P.append(f"{len(missing)} customer(s) not served: {missing[:10]}")
    return cost, P

