"""LKH-3 VRPTW (``TYPE : CVRPTW``) and VRPSPD (``TYPE : VRPSPD``) instances: reader, model, checker.

The format is TSPLIB-style (LKH-3's ``CVRPTW/INSTANCES`` and ``VRPSPD/INSTANCES``).  Conventions,
checked against the best-known tours of ../shared/bench/vrptw and ../shared/bench/vrpspd (each
evaluates to exactly its published cost under them):

* ``EDGE_WEIGHT_TYPE``: ``FLOOR_2D`` → ``floor(SCALE × Euclidean)`` (Solomon's "truncate to one
  decimal" rule with SCALE 10); ``EXACT_2D`` → ``nint(SCALE × Euclidean)``; ``EUC_2D`` →
  ``nint(Euclidean)`` (SCALE applied inside too); ``CEIL_2D`` → ``ceil``; ``EXPLICIT`` with
  ``EDGE_WEIGHT_FORMAT : FULL_MATRIX`` → the matrix as given.  ``SCALE`` defaults to 1, except
  with ``EXACT_2D``, where it defaults to 1000 as in LKH-3's ReadProblem.c (LKH-3's Homberger
  200–1000 VRPTW files have no SCALE line; their best tours' costs are in thousandths).
* travel time = distance; time windows and service times are in the file's units, multiplied by
  ``SCALE`` (so they are in the distance unit).
* ``TIME_WINDOW_SECTION``: ``id early late`` (start of service); ``SERVICE_TIME`` (header) or
  ``SERVICE_TIME_SECTION`` (``id time``); ``DEMAND_SECTION``: ``id demand`` (a delivery).
* ``PICKUP_AND_DELIVERY_SECTION`` (VRPSPD): ``id demand early late service pickup delivery``; a
  vehicle leaves the depot with the deliveries of its route, ``load = load − delivery + pickup``
  at each customer, ``load ≤ CAPACITY`` throughout.
* ``VEHICLES``: the fleet limit (absent = unlimited); ``DISTANCE`` below 999999 and above 0 limits
  a route's length, in the file's units × SCALE as in LKH-3 (only without time windows, where it is
  modelled as the shift length).
* objective = total distance; customers are numbered as in ``.sol`` files: node id − 1 when the
  depot is node 1 (in general 1..n in node order, depot skipped).

The reader is hand-written (like :mod:`culture_logistics.routing.cvrplib`): the ``vrplib`` package
parses these sections but knows neither FLOOR_2D/EXACT_2D with SCALE nor LKH-3's column order, and
errors here must name the file and line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from culture_logistics.routing import cvrplib
from culture_logistics.routing.cvrplib import _HEADER, CVRPLibFormatError, CVRPSolutionError, read_header, solve_checked
from culture_logistics.routing.engine import model as _model

LKH_TYPES = ("CVRPTW", "VRPTW", "VRPSPD")

_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION", "TIME_WINDOW_SECTION",
             "PICKUP_AND_DELIVERY_SECTION", "EDGE_WEIGHT_SECTION", "SERVICE_TIME_SECTION")

_NO_LIMIT = 999_999


@dataclass
class LKHInstance:
    """A VRPTW/VRPSPD instance; row 0 of every array is the depot, then customers 1..n.

    Distances, times and windows are integers in the scaled distance unit (see module docstring).
    """

    name: str
    type: str
    capacity: int
    vehicles: int | None
    distance: np.ndarray          # (n + 1, n + 1) int64
    delivery: np.ndarray          # (n + 1,)
    pickup: np.ndarray            # (n + 1,)
    early: np.ndarray             # (n + 1,) scaled
    late: np.ndarray              # (n + 1,) scaled
    service: np.ndarray           # (n + 1,) scaled
    max_distance: int | None = None
    scale: float = 1.0
    coords: np.ndarray | None = None  # (n + 1, 2) as in the file (None for an explicit matrix)
    path: str = ""
    node_ids: list[int] = field(default_factory=list)

    @property
    def num_customers(self) -> int:
        return len(self.delivery) - 1

    @property
    def has_time(self) -> bool:
        """Whether time matters: a service time, or a customer window narrower than the depot's."""
        if np.any(self.service[1:] > 0):
            return True
        return bool(np.any(self.early[1:] > self.early[0]) or np.any(self.late[1:] < self.late[0]))


def sniff_type(path: str | Path) -> str | None:
    """The ``TYPE`` header of a TSPLIB-style file (upper case), or None."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for i, line in enumerate(fh):
                m = _HEADER.match(line)
                if m and m.group(1).upper() == "TYPE":
                    return m.group(2).split()[0].upper() if m.group(2).split() else None
                if i > 50 or line.strip().upper().endswith("_SECTION"):
                    return None
    except OSError:
        return None
    return None


def _dist_matrix(kind: str, coords: np.ndarray, scale: float) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    d = scale * np.sqrt((diff ** 2).sum(axis=2))
    if kind == "FLOOR_2D":
        # floor with a tiny tolerance, so that 10 × 5.0 computed as 49.999999 is 50
        return np.floor(d + 1e-7).astype(np.int64)
    if kind == "CEIL_2D":
        return np.ceil(d - 1e-7).astype(np.int64)
    return np.floor(d + 0.5).astype(np.int64)  # EXACT_2D / EUC_2D: nearest integer


def read_lkh(path: str | Path) -> LKHInstance:
    """Parse an LKH-3 VRPTW/VRPSPD file.  Raises :class:`CVRPLibFormatError` naming file and line.

    Its function body is long because it is one pass over the file's lines with one branch per
    section; splitting it would scatter the line-number bookkeeping of the error messages.

    One piece on purpose: a single pass over the file's header keys and sections, whose parser state
    (the current section, the scale, the counts met so far) every branch shares; each problem names the
    line it was found on, which a split would have to thread through every helper.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise CVRPLibFormatError(path, None, f"not a text file ({exc.reason})") from exc
    except OSError as exc:
        raise CVRPLibFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from exc

    def err(ln, msg):
        return CVRPLibFormatError(path, ln, msg)

    headers: dict[str, tuple[str, int]] = {}
    rows: dict[str, dict[int, tuple[list[float], int]]] = {s: {} for s in _SECTIONS}
    weights: list[tuple[float, int]] = []
    depots: list[tuple[int, int]] = []
    section = None
    widths = {"NODE_COORD_SECTION": 3, "DEMAND_SECTION": 2, "TIME_WINDOW_SECTION": 3,
              "PICKUP_AND_DELIVERY_SECTION": 7, "SERVICE_TIME_SECTION": 2}
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if upper == "EOF":
            break
        word = upper.split()[0].rstrip(":")
        if word in _SECTIONS:
            section = word
            continue
        if read_header(line, ln, headers, err):
            section = None
            continue
        if section is None:
            raise err(ln, f"unexpected line outside any section: {line[:60]!r}")
        parts = line.split()
        try:
            nums = [float(t) for t in parts]
        except ValueError:
            raise err(ln, f"{section}: not numbers: {line[:60]!r}") from None
        if not all(math.isfinite(v) for v in nums):
            raise err(ln, f"{section}: non-finite number")
        if section == "EDGE_WEIGHT_SECTION":
            weights += [(v, ln) for v in nums]
        elif section == "DEPOT_SECTION":
            depots += [(int(v), ln) for v in nums if v != -1]
        else:
            if len(nums) != widths[section]:
                raise err(ln, f"{section} expects {widths[section]} numbers per line, got {len(nums)}: "
                              f"{line[:60]!r}")
            nid = int(nums[0])
            if nid != nums[0]:
                raise err(ln, f"{section}: node id {parts[0]!r} is not an integer")
            if nid in rows[section]:
                raise err(ln, f"{section}: node {nid} given twice (first on line {rows[section][nid][1]})")
            rows[section][nid] = (nums[1:], ln)

    def header(key, required=True):
        if key not in headers:
            if required:
                raise err(None, f"missing header {key}")
            return None
        return headers[key]

    def int_header(key, required=True):
        h = header(key, required)
        if h is None:
            return None
        try:
            v = float(h[0])
        except ValueError:
            raise err(h[1], f"{key} is not a number: {h[0]!r}") from None
        if v != int(v) or v < 0:
            raise err(h[1], f"{key} must be a non-negative integer, got {h[0]!r}")
        return int(v)

    typ_s, typ_ln = header("TYPE")
    typ = typ_s.split()[0].upper() if typ_s.split() else ""
    if typ not in LKH_TYPES:
        raise err(typ_ln, f"unsupported TYPE {typ_s!r} (expected one of {', '.join(LKH_TYPES)})")
    dim = int_header("DIMENSION")
    if dim < 2:
        raise err(header("DIMENSION")[1], f"DIMENSION must be >= 2, got {dim}")
    capacity = int_header("CAPACITY")
    if capacity <= 0:
        raise err(header("CAPACITY")[1], "CAPACITY must be positive")
    vehicles = int_header("VEHICLES", required=False)
    max_dist = int_header("DISTANCE", required=False)
    max_dist = None if not max_dist or max_dist >= _NO_LIMIT else max_dist
    ewt_s, ewt_ln = header("EDGE_WEIGHT_TYPE")
    ewt = ewt_s.upper()
    sc = header("SCALE", required=False)
    try:
        # LKH-3 (ReadProblem.c): EXACT_2D without a SCALE line means SCALE 1000
        scale = (1000.0 if ewt == "EXACT_2D" else 1.0) if sc is None else float(sc[0])
    except ValueError:
        raise err(sc[1], f"SCALE is not a number: {sc[0]!r}") from None
    if not scale > 0:
        raise err(sc[1], "SCALE must be positive")
    ids = list(range(1, dim + 1))
    for sec, got in rows.items():
        for nid, (_, ln) in got.items():
            if not 1 <= nid <= dim:
                raise err(ln, f"{sec}: node id {nid} outside 1..DIMENSION ({dim})")
    if not depots:
        raise err(None, "DEPOT_SECTION missing or empty")
    if len(depots) > 1:
        raise err(depots[1][1], "more than one depot is not supported")
    depot, dln = depots[0]
    if not 1 <= depot <= dim:
        raise err(dln, f"depot {depot} outside 1..DIMENSION ({dim})")
    order = [depot] + [i for i in ids if i != depot]

    def need(sec):
        missing = [i for i in ids if i not in rows[sec]]
        if missing:
            raise err(None, f"{sec} lacks nodes {missing[:10]} (DIMENSION {dim})")
        return rows[sec]

    if ewt in ("FLOOR_2D", "EXACT_2D", "EUC_2D", "CEIL_2D"):
        xy = need("NODE_COORD_SECTION")
        coords = np.array([xy[i][0] for i in order], dtype=float)
        dist = _dist_matrix(ewt, coords, scale)
    elif ewt == "EXPLICIT":
        fmt = header("EDGE_WEIGHT_FORMAT")
        if fmt[0].upper() != "FULL_MATRIX":
            raise err(fmt[1], f"unsupported EDGE_WEIGHT_FORMAT {fmt[0]!r} (only FULL_MATRIX)")
        if len(weights) != dim * dim:
            raise err(weights[-1][1] if weights else None,
                      f"EDGE_WEIGHT_SECTION has {len(weights)} numbers, expected DIMENSION² = {dim * dim}")
        w = np.array([v for v, _ in weights]).reshape(dim, dim)
        if np.any(w < 0) or np.any(w != np.round(w)):
            raise err(weights[0][1], "EDGE_WEIGHT_SECTION must hold non-negative integers")
        idx = np.array(order) - 1
        dist = w[np.ix_(idx, idx)].astype(np.int64)
        coords = None
    else:
        raise err(ewt_ln, f"unsupported EDGE_WEIGHT_TYPE {ewt_s!r} "
                          "(FLOOR_2D, EXACT_2D, EUC_2D, CEIL_2D or EXPLICIT)")

    def scaled(v, ln, what):
        s = v * scale
        if abs(s - round(s)) > 1e-6 * max(1.0, abs(s)):
            raise err(ln, f"{what} {v:g} × SCALE {scale:g} is not an integer")
        return int(round(s))

    n1 = dim
    deliv = np.zeros(n1, dtype=np.int64)
    pick = np.zeros(n1, dtype=np.int64)
    early = np.zeros(n1, dtype=np.int64)
    late = np.full(n1, _model._INF_TIME, dtype=np.int64)
    service = np.zeros(n1, dtype=np.int64)
    if typ == "VRPSPD":
        pd_rows = need("PICKUP_AND_DELIVERY_SECTION")
        for k, nid in enumerate(order):
            (_, e, l, s, p, d), ln = pd_rows[nid]
            if min(e, l, s, p, d) < 0 or any(v != int(v) for v in (p, d)):
                raise err(ln, "PICKUP_AND_DELIVERY_SECTION: negative or non-integer value")
            pick[k], deliv[k] = int(p), int(d)
            early[k], late[k], service[k] = scaled(e, ln, "early"), scaled(l, ln, "late"), scaled(s, ln, "service")
    else:
        dem = need("DEMAND_SECTION")
        tw = need("TIME_WINDOW_SECTION")
        st = header("SERVICE_TIME", required=False)
        st_all = 0.0
        if st is not None:
            try:
                st_all = float(st[0])
            except ValueError:
                raise err(st[1], f"SERVICE_TIME is not a number: {st[0]!r}") from None
        for k, nid in enumerate(order):
            (q,), ln = dem[nid]
            if q < 0 or q != int(q):
                raise err(ln, f"DEMAND_SECTION: demand of node {nid} must be a non-negative integer")
            deliv[k] = int(q)
            (e, l), tln = tw[nid]
            early[k], late[k] = scaled(e, tln, "early"), scaled(l, tln, "late")
            srow = rows["SERVICE_TIME_SECTION"].get(nid)
            s_val = srow[0][0] if srow is not None else (st_all if k else 0.0)
            service[k] = scaled(s_val, srow[1] if srow else (st[1] if st else None), "service time")
    for k, nid in enumerate(order):
        if early[k] > late[k]:
            raise err(None, f"node {nid}: early {early[k]} > late {late[k]} (scaled)")
        if max(deliv[k], pick[k]) > capacity:
            raise err(None, f"node {nid}: demand {max(deliv[k], pick[k])} exceeds CAPACITY {capacity}")
    if deliv[0] or pick[0]:
        raise err(None, f"depot {depot} has a non-zero demand")
    if max_dist is not None:
        max_dist = int(round(max_dist * scale))  # LKH-3 scales DISTANCE like the times
    name = headers.get("NAME", (path.stem, 0))[0] or path.stem
    return LKHInstance(name=name, type=typ, capacity=capacity, vehicles=vehicles, distance=dist, delivery=deliv,
                       pickup=pick, early=early, late=late, service=service, max_distance=max_dist, scale=scale,
                       path=str(path), node_ids=order, coords=coords)


def instance_to_model(inst: LKHInstance) -> _model.Model:
    """The engine model: one depot (its window bounds departures and returns), cost = distance.

    Raises :class:`CVRPLibFormatError` for a route-length limit together with time windows (not modelled).
    """
    timed = inst.has_time
    if inst.max_distance is not None and timed:
        raise CVRPLibFormatError(inst.path, None, "a DISTANCE limit together with time windows or service "
                                                  "times is not supported")
    # coordinates (when the file has them) guide PyVRP's SWAP* operator, which compares polar sectors
    xy = inst.coords if inst.coords is not None else np.zeros((inst.num_customers + 1, 2))
    depot = _model.Depot(name=f"node {inst.node_ids[0]}", tw_early=int(inst.early[0]) if timed else 0,
                         tw_late=int(inst.late[0]) if timed and inst.late[0] < _model._INF_TIME else None,
                         x=float(xy[0, 0]), y=float(xy[0, 1]))
    stops = []
    for c in range(1, inst.num_customers + 1):
        kw: dict[str, Any] = {"x": float(xy[c, 0]), "y": float(xy[c, 1])}
        if timed:
            kw.update(service_s=int(inst.service[c]), tw_early=int(inst.early[c]),
                      tw_late=int(inst.late[c]) if inst.late[c] < _model._INF_TIME else None)
        stops.append(_model.Stop(delivery=int(inst.delivery[c]), pickup=int(inst.pickup[c]), name=str(c), **kw))
    shift = inst.max_distance if (inst.max_distance is not None and not timed) else None
    vt = _model.VehicleType(capacity=int(inst.capacity), count=inst.vehicles, cost_per_m=1.0, max_shift_s=shift)
    duration = inst.distance if (timed or shift is not None) else None
    return _model.Model(depots=[depot], stops=stops, vehicle_types=[vt], distance=inst.distance, duration=duration)


def check_lkh_solution(inst: LKHInstance, routes: list[list[int]]) -> int:
    """Verify a VRPTW/VRPSPD solution from the instance data alone and return its cost (total distance).

    ``routes`` lists customer numbers (1..n, depot excluded).  Checks: every customer exactly once;
    at most ``VEHICLES`` non-empty routes; the load at departure (the route's deliveries) and after
    every customer (``− delivery + pickup``) within ``[0, CAPACITY]``; the schedule (travel time =
    distance, service starts at ``max(arrival, early)`` and by ``late``, leaves after its service
    time, back at the depot by its ``late``) and the route-length limit.  Raises
    :class:`CVRPSolutionError` naming the route and customer.
    """
    n = inst.num_customers
    d = inst.distance
    seen: dict[int, int] = {}
    cost = 0
    used = 0
    for r_i, route in enumerate(routes, start=1):
        if not route:
            continue
        used += 1
        for c in route:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 1 <= int(c) <= n:
                raise CVRPSolutionError(f"route {r_i}: unknown customer {c!r} (valid: 1..{n})")
            if int(c) in seen:
                raise CVRPSolutionError(f"customer {c} visited twice (routes {seen[int(c)]} and {r_i})")
            seen[int(c)] = r_i
        load = int(sum(int(inst.delivery[c]) for c in route))
        if load > inst.capacity:
            raise CVRPSolutionError(f"route {r_i}: load {load} at departure exceeds capacity {inst.capacity}")
        t = int(inst.early[0])
        prev = 0
        length = 0
        for c in route:
            c = int(c)
            length += int(d[prev, c])
            t += int(d[prev, c])
            start = max(t, int(inst.early[c]))
            if start > int(inst.late[c]):
                raise CVRPSolutionError(f"route {r_i}: service at customer {c} starts at {start}, after its "
                                        f"window closes ({int(inst.late[c])}, scaled units)")
            t = start + int(inst.service[c])
            load += int(inst.pickup[c]) - int(inst.delivery[c])
            if load > inst.capacity or load < 0:
                raise CVRPSolutionError(f"route {r_i}: load {load} after customer {c} outside [0, {inst.capacity}]")
            prev = c
        length += int(d[prev, 0])
        t += int(d[prev, 0])
        if t > int(inst.late[0]):
            raise CVRPSolutionError(f"route {r_i}: back at the depot at {t}, after it closes ({int(inst.late[0])})")
        if inst.max_distance is not None and length > inst.max_distance:
            raise CVRPSolutionError(f"route {r_i}: length {length} exceeds DISTANCE {inst.max_distance}")
        cost += length
    if inst.vehicles is not None and used > inst.vehicles:
        raise CVRPSolutionError(f"{used} routes but only {inst.vehicles} vehicles (VEHICLES)")
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        raise CVRPSolutionError(f"{len(missing)} customer(s) not visited: {missing[:10]}")
    return int(cost)


def solve_lkh_file(path: str | Path, time_limit_s: float, seed: int = 0, engine: str | None = None,
                   iterations: int | None = None) -> dict:
    """Solve an LKH-3 VRPTW/VRPSPD instance; the answer is checked by :func:`check_lkh_solution`.

    Returns ``{"cost": int, "routes": [[customer, ...], ...], ...}`` (``.sol`` numbering, depot
    excluded; cost = total distance in the file's scaled unit, as in the best-known costs) with
    ``instance``, ``type``, ``engine``, ``seconds``, ``time_limit_s``, ``seed``, ``num_routes``,
    ``reproducible``.  ``iterations`` as in :func:`culture_logistics.routing.cvrplib.solve_vrp_file`.
    Raises :class:`CVRPLibFormatError` (bad file) or :class:`CVRPSolutionError` (customers left
    unserved, e.g. too few vehicles found).
    """
    inst = read_lkh(path)
    return solve_checked(inst, instance_to_model(inst), check_lkh_solution, time_limit_s, seed, engine, iterations,
                         extra={"type": inst.type},
                         unserved_note=lambda sol: f"; {len(sol.routes)} routes used, VEHICLES = {inst.vehicles}")


def solve_instance_file(path: str | Path, time_limit_s: float, seed: int = 0, engine: str | None = None,
                        iterations: int | None = None) -> dict:
    """Solve a CVRPLIB (``TYPE : CVRP``) or LKH-3 VRPTW/VRPSPD file, chosen by its ``TYPE`` header."""
    if sniff_type(path) in LKH_TYPES:
        return solve_lkh_file(path, time_limit_s, seed, engine, iterations)
    return cvrplib.solve_vrp_file(path, time_limit_s, seed, engine, iterations)
