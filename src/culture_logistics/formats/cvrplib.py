"""CVRPLIB instance (``.vrp``) and solution (``.sol``) files.

Reads ``.vrp`` files of type CVRP with ``EDGE_WEIGHT_TYPE : EUC_2D``
(``NODE_COORD_SECTION``, ``DEMAND_SECTION``, ``DEPOT_SECTION``, ``CAPACITY``)
and ``.sol`` files (``Route #k: c1 c2 ...`` lines and ``Cost N``).

Conventions (TSPLIB / CVRPLIB):

* the cost of arc (i, j) is ``nint(euclidean distance)`` = ``floor(d + 0.5)``;
* customers are numbered as in ``.sol`` files: when the depot is node 1 (always
  the case in CVRPLIB), customer ``c`` is node ``c + 1``; in general customers
  are numbered 1..n in node order with the depot skipped;
* the fleet is unlimited (X instances have no fleet limit).

The reader is hand-written rather than the ``vrplib`` package's: every problem names its file and line,
and sizes are checked from the header before anything is allocated (:mod:`culture_logistics.formats.tsplib`).
Solving an instance and checking a solution: :mod:`culture_logistics.routing.cvrplib`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from culture_logistics.formats.tsplib import CVRPLibFormatError, read_text, section_lines

__all__ = ["CVRPInstance", "CVRPLibFormatError", "CVRPSolution", "read_solution", "read_vrp"]


@dataclass
class CVRPInstance:
    """A CVRP instance: depot first (row 0), then customers 1..n."""

    name: str
    capacity: int
    coords: np.ndarray          # (n + 1, 2): depot first, then customers 1..n
    demands: np.ndarray         # (n + 1,): depot first (0)
    path: str = ""
    comment: str = ""
    node_ids: list[int] = field(default_factory=list)  # file node id of each row
    _dist: np.ndarray | None = field(default=None, repr=False)

    @property
    def num_customers(self) -> int:
        return len(self.demands) - 1

    @property
    def distance(self) -> np.ndarray:
        """Integer distance matrix, nint(Euclidean), depot = row 0."""
        if self._dist is None:
            diff = self.coords[:, None, :] - self.coords[None, :, :]
            self._dist = np.floor(np.sqrt((diff**2).sum(axis=2)) + 0.5).astype(np.int64)
        return self._dist


@dataclass
class CVRPSolution:
    """The routes (customer numbers, depot excluded) and the cost of a ``.sol`` file."""

    routes: list[list[int]]
    cost: float | None


_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION")


_IGNORED_SECTIONS = ("DISPLAY_DATA_SECTION",)


@dataclass
class _VrpLines:
    """What the lines of a ``.vrp`` file said, each value with its line number."""

    headers: dict = field(default_factory=dict)   # key -> (value, line)
    coords: dict = field(default_factory=dict)    # node id -> (x, y, line)
    demands: dict = field(default_factory=dict)   # node id -> (demand, line)
    depots: list = field(default_factory=list)    # (node id, line)
    depot_done: bool = False                      # the DEPOT_SECTION's -1 terminator was met


def read_vrp(path: str | Path) -> CVRPInstance:
    """Parse a CVRPLIB ``.vrp`` file (EUC_2D).  Raises :class:`CVRPLibFormatError` naming file and line."""
    path = Path(path)
    text = read_text(path)

    def err(ln: int | None, msg: str) -> CVRPLibFormatError:
        return CVRPLibFormatError(path, ln, msg)

    got = _read_lines(text, err)
    dim, capacity = _sizes(got.headers, err)
    order = _node_order(got, dim, capacity, err)
    name = got.headers.get("NAME", (path.stem, 0))[0] or path.stem
    comment = got.headers.get("COMMENT", ("", 0))[0]
    return CVRPInstance(
        name=name, capacity=capacity,
        coords=np.array([[got.coords[i][0], got.coords[i][1]] for i in order], dtype=float),
        demands=np.array([got.demands[i][0] for i in order], dtype=np.int64),
        path=str(path), comment=comment, node_ids=order,
    )


def _read_lines(text: str, err) -> _VrpLines:
    """One pass over the file's lines: header keys, then each section's rows (up to ``EOF``)."""
    got = _VrpLines()
    for section, line, ln in section_lines(text, _SECTIONS + _IGNORED_SECTIONS, got.headers, err):
        if line is None:
            if section == "DEPOT_SECTION":
                got.depot_done = False
        elif section == "NODE_COORD_SECTION":
            _coord_row(line, ln, got.coords, err)
        elif section == "DEMAND_SECTION":
            _demand_row(line, ln, got.demands, err)
        elif section == "DEPOT_SECTION":
            _depot_row(line, ln, got, err)
        # ignored sections: skip
    return got


def _coord_row(line: str, ln: int, coords: dict, err) -> None:
    parts = line.split()
    if len(parts) != 3:
        raise err(ln, f"NODE_COORD_SECTION expects 'id x y', got {line[:60]!r}")
    try:
        nid = int(parts[0])
        x, y = float(parts[1]), float(parts[2])
    except ValueError:
        raise err(ln, f"NODE_COORD_SECTION: not numbers: {line[:60]!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise err(ln, "NODE_COORD_SECTION: non-finite coordinate")
    if nid in coords:
        raise err(ln, f"node {nid} has coordinates twice (first on line {coords[nid][2]})")
    coords[nid] = (x, y, ln)


def _demand_row(line: str, ln: int, demands: dict, err) -> None:
    parts = line.split()
    if len(parts) != 2:
        raise err(ln, f"DEMAND_SECTION expects 'id demand', got {line[:60]!r}")
    try:
        nid, q = int(parts[0]), int(parts[1])
    except ValueError:
        raise err(ln, f"DEMAND_SECTION: not integers: {line[:60]!r}") from None
    if q < 0:
        raise err(ln, f"negative demand {q} for node {nid}")
    if nid in demands:
        raise err(ln, f"node {nid} has a demand twice (first on line {demands[nid][1]})")
    demands[nid] = (q, ln)


def _depot_row(line: str, ln: int, got: _VrpLines, err) -> None:
    for tok in line.split():
        try:
            v = int(tok)
        except ValueError:
            raise err(ln, f"DEPOT_SECTION: not an integer: {tok!r}") from None
        if v == -1:
            got.depot_done = True
        elif got.depot_done:
            raise err(ln, "DEPOT_SECTION: value after the -1 terminator")
        else:
            got.depots.append((v, ln))


def _header(headers: dict, key: str, err, required: bool = True) -> tuple[str, int] | None:
    if key not in headers:
        if required:
            raise err(None, f"missing header {key}")
        return None
    return headers[key]


def _sizes(headers: dict, err) -> tuple[int, int]:
    """Check TYPE and EDGE_WEIGHT_TYPE; (DIMENSION, CAPACITY) as integers."""
    typ = _header(headers, "TYPE", err, required=False)
    if typ is not None and typ[0].split()[0].upper() not in ("CVRP", "ACVRP"):
        raise err(typ[1], f"unsupported TYPE {typ[0]!r} (only CVRP)")
    ewt = _header(headers, "EDGE_WEIGHT_TYPE", err)
    if ewt[0].upper() != "EUC_2D":
        raise err(ewt[1], f"unsupported EDGE_WEIGHT_TYPE {ewt[0]!r} (only EUC_2D)")
    dim_s, dim_ln = _header(headers, "DIMENSION", err)
    try:
        dim = int(dim_s)
    except ValueError:
        raise err(dim_ln, f"DIMENSION is not an integer: {dim_s!r}") from None
    if dim < 2:
        raise err(dim_ln, f"DIMENSION must be >= 2, got {dim}")
    cap_s, cap_ln = _header(headers, "CAPACITY", err)
    try:
        capacity = int(cap_s)
    except ValueError:
        raise err(cap_ln, f"CAPACITY is not an integer: {cap_s!r}") from None
    if capacity <= 0:
        raise err(cap_ln, f"CAPACITY must be positive, got {capacity}")
    return dim, capacity


def _node_order(got: _VrpLines, dim: int, capacity: int, err) -> list[int]:
    """Check node ids, the depot and the demands; the node ids, depot first."""
    ids = list(range(1, dim + 1))
    for nid, (_, _, ln) in got.coords.items():
        if not 1 <= nid <= dim:
            raise err(ln, f"node id {nid} outside 1..DIMENSION ({dim})")
    for nid, (_, ln) in got.demands.items():
        if not 1 <= nid <= dim:
            raise err(ln, f"node id {nid} outside 1..DIMENSION ({dim})")
    missing = [i for i in ids if i not in got.coords]
    if missing:
        raise err(None, f"NODE_COORD_SECTION lacks nodes {missing[:10]} (DIMENSION {dim})")
    missing = [i for i in ids if i not in got.demands]
    if missing:
        raise err(None, f"DEMAND_SECTION lacks nodes {missing[:10]} (DIMENSION {dim})")
    if not got.depots:
        raise err(None, "DEPOT_SECTION missing or empty")
    if len(got.depots) > 1:
        raise err(got.depots[1][1], "more than one depot is not supported")
    depot, dln = got.depots[0]
    if not 1 <= depot <= dim:
        raise err(dln, f"depot {depot} outside 1..DIMENSION ({dim})")
    if got.demands[depot][0] != 0:
        raise err(got.demands[depot][1], f"depot {depot} has non-zero demand {got.demands[depot][0]}")
    for nid, (q, ln) in got.demands.items():
        if q > capacity:
            raise err(ln, f"demand {q} of node {nid} exceeds CAPACITY {capacity}")
    return [depot] + [i for i in ids if i != depot]


_ROUTE = re.compile(r"^\s*Route\s*#\s*(\d+)\s*:(.*)$", re.IGNORECASE)


_COST = re.compile(r"^\s*Cost\s*:?\s*(\S+)\s*$", re.IGNORECASE)


def read_solution(path: str | Path) -> CVRPSolution:
    """Parse a CVRPLIB ``.sol`` file.  Raises :class:`CVRPLibFormatError`."""
    path = Path(path)
    text = read_text(path, strict=False)
    routes: list[list[int]] = []
    cost = None
    for ln, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        m = _ROUTE.match(raw)
        if m:
            try:
                routes.append([int(t) for t in m.group(2).split()])
            except ValueError:
                raise CVRPLibFormatError(path, ln, f"route has a non-integer customer: "
                                                   f"{raw.strip()[:60]!r}") from None
            continue
        m = _COST.match(raw)
        if m:
            try:
                c = float(m.group(1))
                if not math.isfinite(c):
                    raise ValueError(c)
            except ValueError:
                raise CVRPLibFormatError(path, ln, f"cost is not a number: {m.group(1)!r}") from None
            cost = int(c) if c == int(c) else c
            continue
        raise CVRPLibFormatError(path, ln, f"expected 'Route #k: ...' or 'Cost N', got "
                                           f"{raw.strip()[:60]!r}")
    if not routes:
        raise CVRPLibFormatError(path, None, "no 'Route #k:' line")
    return CVRPSolution(routes=routes, cost=cost)
