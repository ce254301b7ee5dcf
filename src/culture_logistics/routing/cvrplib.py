"""CVRPLIB reader, solver front-end and solution checker.

Reads ``.vrp`` files of type CVRP with ``EDGE_WEIGHT_TYPE : EUC_2D``
(``NODE_COORD_SECTION``, ``DEMAND_SECTION``, ``DEPOT_SECTION``, ``CAPACITY``)
and ``.sol`` files (``Route #k: c1 c2 ...`` lines and ``Cost N``).

Conventions (TSPLIB / CVRPLIB):

* the cost of arc (i, j) is ``nint(euclidean distance)`` = ``floor(d + 0.5)``;
* customers are numbered as in ``.sol`` files: when the depot is node 1 (always
  the case in CVRPLIB), customer ``c`` is node ``c + 1``; in general customers
  are numbered 1..n in node order with the depot skipped;
* the fleet is unlimited (X instances have no fleet limit).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from culture_logistics.errors import CultureLogisticsError, SolverError
from culture_logistics.routing.engine import model as _model
from culture_logistics.routing.engine import solve as _engine


class CVRPLibFormatError(CultureLogisticsError, ValueError):
    """A malformed CVRPLIB file.  ``path`` and ``line`` (1-based, or None) locate it."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class CVRPSolutionError(SolverError, ValueError):
    """A CVRP solution is infeasible (missing/duplicate customer, capacity exceeded...)."""


@dataclass
class CVRPInstance:
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
    routes: list[list[int]]
    cost: float | None


_HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")


def read_header(line: str, ln: int, headers: dict, err) -> bool:
    """Record a ``KEY : value`` header line in ``headers`` (key → (value, line number)); False when
    ``line`` is not a header.  A key given twice raises ``err(ln, …)``.  Shared by the CVRPLIB and LKH-3
    readers."""
    m = _HEADER.match(line)
    if not m or line[0].isdigit() or line[0] in "-+.":
        return False
    key = m.group(1).upper()
    if key in headers:
        raise err(ln, f"duplicate header {key}")
    headers[key] = (m.group(2), ln)
    return True


_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION")


_IGNORED_SECTIONS = ("DISPLAY_DATA_SECTION",)


def read_vrp(path: str | Path) -> CVRPInstance:
    """Parse a CVRPLIB ``.vrp`` file (EUC_2D).  Raises :class:`CVRPLibFormatError`.

    One piece on purpose: a single pass over the file's header keys and sections sharing one parser
    state, so every problem can name its line; each section is one branch.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise CVRPLibFormatError(path, None, f"not a text file ({exc.reason})") from exc
    except OSError as exc:
        raise CVRPLibFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from exc
    headers: dict[str, tuple[str, int]] = {}
    coords: dict[int, tuple[float, float, int]] = {}
    demands: dict[int, tuple[int, int]] = {}
    depots: list[tuple[int, int]] = []
    section = None
    depot_done = False
    saw_eof = False

    def err(ln: int | None, msg: str) -> CVRPLibFormatError:
        return CVRPLibFormatError(path, ln, msg)

    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if saw_eof:
            continue
        upper = line.upper()
        if upper == "EOF":
            saw_eof = True
            continue
        word = upper.split()[0].rstrip(":")
        if word in _SECTIONS or word in _IGNORED_SECTIONS:
            section = word
            if word == "DEPOT_SECTION":
                depot_done = False
            continue
        if read_header(line, ln, headers, err):
            section = None
            continue
        if section is None:
            raise err(ln, f"unexpected line outside any section: {line[:60]!r}")
        parts = line.split()
        if section == "NODE_COORD_SECTION":
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
        elif section == "DEMAND_SECTION":
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
        elif section == "DEPOT_SECTION":
            for tok in parts:
                try:
                    v = int(tok)
                except ValueError:
                    raise err(ln, f"DEPOT_SECTION: not an integer: {tok!r}") from None
                if v == -1:
                    depot_done = True
                elif depot_done:
                    raise err(ln, "DEPOT_SECTION: value after the -1 terminator")
                else:
                    depots.append((v, ln))
        # ignored sections: skip

    def header(key: str, required: bool = True) -> tuple[str, int] | None:
        if key not in headers:
            if required:
                raise err(None, f"missing header {key}")
            return None
        return headers[key]

    typ = header("TYPE", required=False)
    if typ is not None and typ[0].split()[0].upper() not in ("CVRP", "ACVRP"):
        raise err(typ[1], f"unsupported TYPE {typ[0]!r} (only CVRP)")
    ewt = header("EDGE_WEIGHT_TYPE")
    if ewt[0].upper() != "EUC_2D":
        raise err(ewt[1], f"unsupported EDGE_WEIGHT_TYPE {ewt[0]!r} (only EUC_2D)")
    dim_s, dim_ln = header("DIMENSION")
    try:
        dim = int(dim_s)
    except ValueError:
        raise err(dim_ln, f"DIMENSION is not an integer: {dim_s!r}") from None
    if dim < 2:
        raise err(dim_ln, f"DIMENSION must be >= 2, got {dim}")
    cap_s, cap_ln = header("CAPACITY")
    try:
        capacity = int(cap_s)
    except ValueError:
        raise err(cap_ln, f"CAPACITY is not an integer: {cap_s!r}") from None
    if capacity <= 0:
        raise err(cap_ln, f"CAPACITY must be positive, got {capacity}")
    ids = list(range(1, dim + 1))
    for nid, (_, _, ln) in coords.items():
        if not 1 <= nid <= dim:
            raise err(ln, f"node id {nid} outside 1..DIMENSION ({dim})")
    for nid, (_, ln) in demands.items():
        if not 1 <= nid <= dim:
            raise err(ln, f"node id {nid} outside 1..DIMENSION ({dim})")
    missing = [i for i in ids if i not in coords]
    if missing:
        raise err(None, f"NODE_COORD_SECTION lacks nodes {missing[:10]} (DIMENSION {dim})")
    missing = [i for i in ids if i not in demands]
    if missing:
        raise err(None, f"DEMAND_SECTION lacks nodes {missing[:10]} (DIMENSION {dim})")
    if not depots:
        raise err(None, "DEPOT_SECTION missing or empty")
    if len(depots) > 1:
        raise err(depots[1][1], "more than one depot is not supported")
    depot, dln = depots[0]
    if not 1 <= depot <= dim:
        raise err(dln, f"depot {depot} outside 1..DIMENSION ({dim})")
    if demands[depot][0] != 0:
        raise err(demands[depot][1], f"depot {depot} has non-zero demand {demands[depot][0]}")
    for nid, (q, ln) in demands.items():
        if q > capacity:
            raise err(ln, f"demand {q} of node {nid} exceeds CAPACITY {capacity}")
    order = [depot] + [i for i in ids if i != depot]
    name = headers.get("NAME", (path.stem, 0))[0] or path.stem
    comment = headers.get("COMMENT", ("", 0))[0]
    return CVRPInstance(
        name=name, capacity=capacity,
        coords=np.array([[coords[i][0], coords[i][1]] for i in order], dtype=float),
        demands=np.array([demands[i][0] for i in order], dtype=np.int64),
        path=str(path), comment=comment, node_ids=order,
    )


_ROUTE = re.compile(r"^\s*Route\s*#\s*(\d+)\s*:(.*)$", re.IGNORECASE)


_COST = re.compile(r"^\s*Cost\s*:?\s*(\S+)\s*$", re.IGNORECASE)


def read_solution(path: str | Path) -> CVRPSolution:
    """Parse a CVRPLIB ``.sol`` file.  Raises :class:`CVRPLibFormatError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CVRPLibFormatError(path, None, f"cannot read file: {exc}") from exc
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
            except ValueError:
                raise CVRPLibFormatError(path, ln, f"cost is not a number: {m.group(1)!r}") from None
            cost = int(c) if c == int(c) else c
            continue
        raise CVRPLibFormatError(path, ln, f"expected 'Route #k: ...' or 'Cost N', got "
                                           f"{raw.strip()[:60]!r}")
    if not routes:
        raise CVRPLibFormatError(path, None, "no 'Route #k:' line")
    return CVRPSolution(routes=routes, cost=cost)


def _as_instance(instance: CVRPInstance | str | Path) -> CVRPInstance:
    return instance if isinstance(instance, CVRPInstance) else read_vrp(instance)


def check_cvrp_solution(instance: CVRPInstance | str | Path, routes: list[list[int]]) -> int:
    """Verify a CVRP solution and return its cost (sum of nint distances).

    ``routes`` lists customer numbers (1..n, depot excluded).  Raises
    :class:`CVRPSolutionError` if a customer is unknown, missing or visited
    twice, or a route's total demand exceeds the capacity.  Empty routes are
    allowed and cost nothing.
    """
    inst = _as_instance(instance)
    n = inst.num_customers
    dist = inst.distance
    seen: dict[int, int] = {}
    cost = 0
    for r_i, route in enumerate(routes):
        load = 0
        prev = 0
        for c in route:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
                raise CVRPSolutionError(f"route {r_i + 1}: customer {c!r} is not an integer")
            c = int(c)
            if not 1 <= c <= n:
                raise CVRPSolutionError(f"route {r_i + 1}: unknown customer {c} (valid: 1..{n})")
            if c in seen:
                raise CVRPSolutionError(f"customer {c} visited twice (routes {seen[c] + 1} and {r_i + 1})")
            seen[c] = r_i
            load += int(inst.demands[c])
            cost += int(dist[prev, c])
            prev = c
        if route:
            cost += int(dist[prev, 0])
        if load > inst.capacity:
            raise CVRPSolutionError(f"route {r_i + 1}: load {load} exceeds capacity {inst.capacity}")
    missing = [c for c in range(1, n + 1) if c not in seen]
    if missing:
        raise CVRPSolutionError(f"{len(missing)} customer(s) not visited: {missing[:10]}")
    return int(cost)


def instance_to_model(instance: CVRPInstance) -> _model.Model:
    """The engine model of a CVRP instance: one depot, unlimited fleet, cost = metres."""
    inst = instance
    depot = _model.Depot(name=f"node {inst.node_ids[0]}" if inst.node_ids else "depot",
                          x=float(inst.coords[0, 0]), y=float(inst.coords[0, 1]))
    stops = [_model.Stop(delivery=int(inst.demands[c]), name=str(c),
                          x=float(inst.coords[c, 0]), y=float(inst.coords[c, 1]))
             for c in range(1, inst.num_customers + 1)]
    vt = _model.VehicleType(capacity=int(inst.capacity), count=None, cost_per_m=1.0)
    return _model.Model(depots=[depot], stops=stops, vehicle_types=[vt], distance=inst.distance)


def solve_vrp_file(path: str | Path, time_limit_s: float, seed: int = 0,
                   engine: str | None = None, iterations: int | None = None) -> dict:
    """Solve a CVRPLIB instance with an unlimited fleet.

    Returns ``{"cost": int, "routes": [[customer, ...], ...], ...}`` where
    customers are numbered as in ``.sol`` files (depot excluded); the cost is
    verified with :func:`check_cvrp_solution`.  Extra keys: ``instance``,
    ``engine``, ``seconds``, ``time_limit_s``, ``seed``, ``num_routes``, ``reproducible``.
    ``iterations``: stop after this many engine iterations (PyVRP) / solutions (OR-Tools), a
    reproducible run; None (default) = search for the whole ``time_limit_s`` (a benchmark at a
    fixed time, which depends on the machine).
    Raises :class:`CVRPLibFormatError` on a malformed file and
    :class:`CVRPSolutionError` if the solver returned an incomplete solution.
    """
    inst = read_vrp(path)
    return solve_checked(inst, instance_to_model(inst), check_cvrp_solution, time_limit_s, seed, engine, iterations)


def solve_checked(inst, model, check, time_limit_s: float, seed: int, engine: str | None, iterations: int | None,
                  extra: dict | None = None, unserved_note=lambda sol: "") -> dict:
    """Solve the benchmark instance ``inst`` (as ``model``) for the whole ``time_limit_s`` (or ``iterations``),
    and cost the answer with the independent checker ``check(inst, routes)``; the result dict of
    :func:`solve_vrp_file` (``extra`` keys after ``instance``).  Shared by the CVRPLIB and LKH-3 readers.
    ``unserved_note(sol)`` adds to the message when customers are left unserved."""
    sol = _engine.solve(model, time_limit_s=time_limit_s, seed=seed, engine=engine, iteration_limit=iterations,
                        budget="time")
    if sol.dropped:
        raise CVRPSolutionError(f"{inst.name}: the solver left {len(sol.dropped)} customer(s) "
                                f"unserved ({sol.engine_status}{unserved_note(sol)})")
    sol.check(model)
    routes = [[s + 1 for s in r.stops] for r in sol.routes]
    cost = check(inst, routes)
    if cost != sol.distance:  # pragma: no cover - would be an internal bug
        raise CVRPSolutionError(f"cost mismatch: checker {cost}, engine {sol.distance}")
    return {"cost": cost, "routes": routes, "instance": inst.name} | (extra or {}) | {
        "engine": sol.engine, "seconds": round(sol.solve_seconds, 3), "time_limit_s": time_limit_s, "seed": seed,
        "num_routes": len(routes), "reproducible": bool(sol.stats.get("reproducible"))}
