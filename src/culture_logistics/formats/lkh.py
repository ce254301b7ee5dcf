"""LKH-3 VRPTW (``TYPE : CVRPTW``) and VRPSPD (``TYPE : VRPSPD``) instance files.

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

The reader is hand-written (like :mod:`culture_logistics.formats.cvrplib`): the ``vrplib`` package
parses these sections but knows neither FLOOR_2D/EXACT_2D with SCALE nor LKH-3's column order, and
errors here must name the file and line.  Sizes are checked from the header before anything is
allocated (:mod:`culture_logistics.formats.tsplib`).  The engine model and the solution checker:
:mod:`culture_logistics.routing.lkh`.
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from culture_logistics.formats.tsplib import CVRPLibFormatError, parse_header, read_text, section_lines

LKH_TYPES = ("CVRPTW", "VRPTW", "VRPSPD")

#: "no limit" for times (scaled units), as the routing engine's ``INF_TIME``
NO_TIME_LIMIT = 10**12

_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION", "TIME_WINDOW_SECTION",
             "PICKUP_AND_DELIVERY_SECTION", "EDGE_WEIGHT_SECTION", "SERVICE_TIME_SECTION")

_WIDTHS = {"NODE_COORD_SECTION": 3, "DEMAND_SECTION": 2, "TIME_WINDOW_SECTION": 3,
           "PICKUP_AND_DELIVERY_SECTION": 7, "SERVICE_TIME_SECTION": 2}

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
                kv = parse_header(line)
                if kv and kv[0].upper() == "TYPE":
                    return kv[1].split()[0].upper() if kv[1].split() else None
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


@dataclass
class _LkhLines:
    """What the lines of an LKH-3 file said, each value with its line number."""

    headers: dict = field(default_factory=dict)                              # key -> (value, line)
    rows: dict = field(default_factory=lambda: {s: {} for s in _SECTIONS})   # section -> id -> (numbers, line)
    weights: array = field(default_factory=lambda: array("d"))               # EDGE_WEIGHT_SECTION, in order
    weight_lines: list = field(default_factory=list)                         # [first line, last line]
    depots: list = field(default_factory=list)                               # (node id, line)


@dataclass
class _LkhHeader:
    """The checked header values of an LKH-3 file."""

    type: str
    dim: int
    capacity: int
    vehicles: int | None
    max_dist: int | None
    ewt: str
    ewt_s: str
    ewt_ln: int
    scale: float


def read_lkh(path: str | Path) -> LKHInstance:
    """Parse an LKH-3 VRPTW/VRPSPD file.  Raises :class:`CVRPLibFormatError` naming file and line."""
    path = Path(path)
    text = read_text(path)

    def err(ln, msg):
        return CVRPLibFormatError(path, ln, msg)

    got = _read_lines(text, err)
    h = _read_header(got.headers, err)
    order, depot = _node_order(got, h.dim, err)
    dist, coords = _distances(got, h, order, err)
    deliv, pick, early, late, service = _demands_and_windows(got, h, order, err)
    for k, nid in enumerate(order):
        if early[k] > late[k]:
            raise err(None, f"node {nid}: early {early[k]} > late {late[k]} (scaled)")
        if max(deliv[k], pick[k]) > h.capacity:
            raise err(None, f"node {nid}: demand {max(deliv[k], pick[k])} exceeds CAPACITY {h.capacity}")
    if deliv[0] or pick[0]:
        raise err(None, f"depot {depot} has a non-zero demand")
    max_dist = h.max_dist
    if max_dist is not None:
        max_dist = int(round(max_dist * h.scale))  # LKH-3 scales DISTANCE like the times
    name = got.headers.get("NAME", (path.stem, 0))[0] or path.stem
    return LKHInstance(name=name, type=h.type, capacity=h.capacity, vehicles=h.vehicles, distance=dist,
                       delivery=deliv, pickup=pick, early=early, late=late, service=service, max_distance=max_dist,
                       scale=h.scale, path=str(path), node_ids=order, coords=coords)


def _read_lines(text: str, err) -> _LkhLines:
    """One pass over the file's lines: header keys, then each section's rows of numbers (up to ``EOF``)."""
    got = _LkhLines()
    for section, line, ln in section_lines(text, _SECTIONS, got.headers, err):
        if line is not None:
            _section_row(section, line, ln, got, err)
    return got


def _section_row(section: str, line: str, ln: int, got: _LkhLines, err) -> None:
    """Record one line of numbers of ``section``."""
    parts = line.split()
    try:
        nums = [float(t) for t in parts]
    except ValueError:
        raise err(ln, f"{section}: not numbers: {line[:60]!r}") from None
    if not all(math.isfinite(v) for v in nums):
        raise err(ln, f"{section}: non-finite number")
    if section == "EDGE_WEIGHT_SECTION":
        if nums:
            got.weights.extend(nums)
            got.weight_lines[1:] = [ln]
            if len(got.weight_lines) == 1:
                got.weight_lines.insert(0, ln)
        return
    if section == "DEPOT_SECTION":
        got.depots += [(int(v), ln) for v in nums if v != -1]
        return
    if len(nums) != _WIDTHS[section]:
        raise err(ln, f"{section} expects {_WIDTHS[section]} numbers per line, got {len(nums)}: {line[:60]!r}")
    nid = int(nums[0])
    if nid != nums[0]:
        raise err(ln, f"{section}: node id {parts[0]!r} is not an integer")
    rows = got.rows[section]
    if nid in rows:
        raise err(ln, f"{section}: node {nid} given twice (first on line {rows[nid][1]})")
    rows[nid] = (nums[1:], ln)


class _Headers:
    """Header lookups that name the line of a bad value."""

    def __init__(self, headers: dict, err):
        self.headers = headers
        self.err = err

    def get(self, key: str, required: bool = True) -> tuple[str, int] | None:
        if key not in self.headers:
            if required:
                raise self.err(None, f"missing header {key}")
            return None
        return self.headers[key]

    def integer(self, key: str, required: bool = True) -> int | None:
        h = self.get(key, required)
        if h is None:
            return None
        try:
            v = float(h[0])
        except ValueError:
            raise self.err(h[1], f"{key} is not a number: {h[0]!r}") from None
        if v != int(v) or v < 0:
            raise self.err(h[1], f"{key} must be a non-negative integer, got {h[0]!r}")
        return int(v)


def _read_header(headers: dict, err) -> _LkhHeader:
    """TYPE, DIMENSION, CAPACITY, VEHICLES, DISTANCE, EDGE_WEIGHT_TYPE and SCALE, checked."""
    hs = _Headers(headers, err)
    typ_s, typ_ln = hs.get("TYPE")
    typ = typ_s.split()[0].upper() if typ_s.split() else ""
    if typ not in LKH_TYPES:
        raise err(typ_ln, f"unsupported TYPE {typ_s!r} (expected one of {', '.join(LKH_TYPES)})")
    dim = hs.integer("DIMENSION")
    if dim < 2:
        raise err(hs.get("DIMENSION")[1], f"DIMENSION must be >= 2, got {dim}")
    capacity = hs.integer("CAPACITY")
    if capacity <= 0:
        raise err(hs.get("CAPACITY")[1], "CAPACITY must be positive")
    vehicles = hs.integer("VEHICLES", required=False)
    max_dist = hs.integer("DISTANCE", required=False)
    max_dist = None if not max_dist or max_dist >= _NO_LIMIT else max_dist
    ewt_s, ewt_ln = hs.get("EDGE_WEIGHT_TYPE")
    ewt = ewt_s.upper()
    sc = hs.get("SCALE", required=False)
    try:
        # LKH-3 (ReadProblem.c): EXACT_2D without a SCALE line means SCALE 1000
        scale = (1000.0 if ewt == "EXACT_2D" else 1.0) if sc is None else float(sc[0])
    except ValueError:
        raise err(sc[1], f"SCALE is not a number: {sc[0]!r}") from None
    if not scale > 0:
        raise err(sc[1], "SCALE must be positive")
    return _LkhHeader(typ, dim, capacity, vehicles, max_dist, ewt, ewt_s, ewt_ln, scale)


def _node_order(got: _LkhLines, dim: int, err) -> tuple[list[int], int]:
    """Check node ids and the depot; (the node ids depot first, the depot's id)."""
    for sec, rows in got.rows.items():
        for nid, (_, ln) in rows.items():
            if not 1 <= nid <= dim:
                raise err(ln, f"{sec}: node id {nid} outside 1..DIMENSION ({dim})")
    if not got.depots:
        raise err(None, "DEPOT_SECTION missing or empty")
    if len(got.depots) > 1:
        raise err(got.depots[1][1], "more than one depot is not supported")
    depot, dln = got.depots[0]
    if not 1 <= depot <= dim:
        raise err(dln, f"depot {depot} outside 1..DIMENSION ({dim})")
    return [depot] + [i for i in range(1, dim + 1) if i != depot], depot


def _need(got: _LkhLines, sec: str, dim: int, err) -> dict:
    """The rows of section ``sec``, which must give every node 1..DIMENSION."""
    missing = [i for i in range(1, dim + 1) if i not in got.rows[sec]]
    if missing:
        raise err(None, f"{sec} lacks nodes {missing[:10]} (DIMENSION {dim})")
    return got.rows[sec]


def _distances(got: _LkhLines, h: _LkhHeader, order: list[int], err) -> tuple[np.ndarray, np.ndarray | None]:
    """The (n + 1) × (n + 1) distance matrix in node ``order`` and the coordinates (None for a matrix)."""
    dim = h.dim
    if h.ewt in ("FLOOR_2D", "EXACT_2D", "EUC_2D", "CEIL_2D"):
        xy = _need(got, "NODE_COORD_SECTION", dim, err)
        coords = np.array([xy[i][0] for i in order], dtype=float)
        return _dist_matrix(h.ewt, coords, h.scale), coords
    if h.ewt != "EXPLICIT":
        raise err(h.ewt_ln, f"unsupported EDGE_WEIGHT_TYPE {h.ewt_s!r} "
                            "(FLOOR_2D, EXACT_2D, EUC_2D, CEIL_2D or EXPLICIT)")
    fmt = _Headers(got.headers, err).get("EDGE_WEIGHT_FORMAT")
    if fmt[0].upper() != "FULL_MATRIX":
        raise err(fmt[1], f"unsupported EDGE_WEIGHT_FORMAT {fmt[0]!r} (only FULL_MATRIX)")
    if len(got.weights) != dim * dim:
        raise err(got.weight_lines[-1] if got.weight_lines else None,
                  f"EDGE_WEIGHT_SECTION has {len(got.weights)} numbers, expected DIMENSION² = {dim * dim}")
    w = np.frombuffer(got.weights, dtype=float).reshape(dim, dim)
    if np.any(w < 0) or np.any(w != np.round(w)):
        raise err(got.weight_lines[0], "EDGE_WEIGHT_SECTION must hold non-negative integers")
    idx = np.array(order) - 1
    return w[np.ix_(idx, idx)].astype(np.int64), None


def _demands_and_windows(got: _LkhLines, h: _LkhHeader, order: list[int], err):
    """Delivery, pickup, early, late and service time of every node in ``order`` (int64 arrays, scaled)."""
    scale = h.scale

    def scaled(v, ln, what):
        s = v * scale
        if abs(s - round(s)) > 1e-6 * max(1.0, abs(s)):
            raise err(ln, f"{what} {v:g} × SCALE {scale:g} is not an integer")
        return int(round(s))

    n1 = h.dim
    deliv = np.zeros(n1, dtype=np.int64)
    pick = np.zeros(n1, dtype=np.int64)
    early = np.zeros(n1, dtype=np.int64)
    late = np.full(n1, NO_TIME_LIMIT, dtype=np.int64)
    service = np.zeros(n1, dtype=np.int64)
    if h.type == "VRPSPD":
        pd_rows = _need(got, "PICKUP_AND_DELIVERY_SECTION", h.dim, err)
        for k, nid in enumerate(order):
            (_, e, l, s, p, d), ln = pd_rows[nid]
            if min(e, l, s, p, d) < 0 or any(v != int(v) for v in (p, d)):
                raise err(ln, "PICKUP_AND_DELIVERY_SECTION: negative or non-integer value")
            pick[k], deliv[k] = int(p), int(d)
            early[k], late[k], service[k] = scaled(e, ln, "early"), scaled(l, ln, "late"), scaled(s, ln, "service")
        return deliv, pick, early, late, service
    dem = _need(got, "DEMAND_SECTION", h.dim, err)
    tw = _need(got, "TIME_WINDOW_SECTION", h.dim, err)
    st = _Headers(got.headers, err).get("SERVICE_TIME", required=False)
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
        srow = got.rows["SERVICE_TIME_SECTION"].get(nid)
        s_val = srow[0][0] if srow is not None else (st_all if k else 0.0)
        service[k] = scaled(s_val, srow[1] if srow else (st[1] if st else None), "service time")
    return deliv, pick, early, late, service
