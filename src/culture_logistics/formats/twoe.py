"""Two-echelon CVRP files (Perboli, Tadei & Vigo 2011 sets): Breunig's ``.dat`` and Perboli's own format.

Breunig (Hemmelmayr et al. 2012 / Breunig et al. 2016) ``.dat``: ``!`` lines are comments, then::

    K1,Q1,c1,f1                  trucks: number, capacity, cost per distance unit, fixed cost
    maxPerSat,K2,Q2,c2,f2        city freighters: at most per satellite, number, capacity, cost, fixed cost
    xd,yd  xs1,ys1 …             the depot, then the satellites
    x,y,q  x,y,q …               the customers and their demands

Perboli (OR-Lab, TSPLIB-like): ``NAME``, ``SATELLITES``, ``CUSTOMERS``, ``EDGE_WEIGHT_TYPE : EUC_2D``,
``FLEET_SECTION`` (``L1CAPACITY``, ``L2CAPACITY``, ``L1FLEET``, ``L2FLEET``), ``NODE_COORD_SECTION`` (0 = the
depot, 1…n the customers), ``SATELLITE_SECTION``, ``DEMAND_SECTION``, ``DEPOT_SECTION``.

Numbering everywhere in this project: satellites 1…S and customers 1…n in file order.  Costs per
distance other than 1 and fixed costs other than 0 (not in these sets) are refused.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from culture_logistics.formats.base import (
    MAX_CUSTOMERS,
    MAX_SATELLITES,
    BenchmarkFormatError,
    detect,
    read_text,
)


@dataclass
class TwoEInstance:
    """A 2E-CVRP instance: trucks (K1 × Q1) from the depot to satellites, city freighters (K2 × Q2,
    at most ``max_per_satellite`` at one satellite) from the satellites to the customers."""

    name: str
    path: str
    trucks: int
    truck_capacity: float
    freighters: int
    freighter_capacity: float
    max_per_satellite: int
    depot_xy: np.ndarray        # (2,)
    sat_xy: np.ndarray          # (S, 2), satellite s in row s - 1
    xy: np.ndarray              # (n, 2), customer i in row i - 1
    demand: np.ndarray          # (n,)
    fmt: str = ""

    @property
    def n(self) -> int:
        return len(self.demand)

    @property
    def num_satellites(self) -> int:
        return len(self.sat_xy)


def _pair(tok: str, path, ln: int, fld: str, k: int) -> list[float]:
    parts = tok.split(",")
    if len(parts) != k:
        raise BenchmarkFormatError(path, ln, fld, f"expected {k} comma-separated numbers, got {tok!r}")
    out = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise BenchmarkFormatError(path, ln, fld, f"not a number: {p!r} in {tok!r}") from None
        if not math.isfinite(v):
            raise BenchmarkFormatError(path, ln, fld, f"not a finite number: {p!r}")
        out.append(v)
    return out


def _check_fleet(path, ln, k1, q1, k2, q2, per_sat, costs) -> None:
    for fld, v in (("K1", k1), ("K2", k2)):
        if v < 1 or v != int(v):
            raise BenchmarkFormatError(path, ln, fld, f"the number of vehicles must be a whole number ≥ 1, got {v:g}")
    for fld, v in (("Q1", q1), ("Q2", q2)):
        if v <= 0:
            raise BenchmarkFormatError(path, ln, fld, f"capacity must be > 0, got {v:g}")
    if per_sat < 1:
        raise BenchmarkFormatError(path, ln, "maxPerSat", f"must be ≥ 1, got {per_sat:g}")
    for fld, v, want in costs:
        if v != want:
            raise BenchmarkFormatError(path, ln, fld, f"{v:g} is not supported (only {want:g}: cost = distance)")


def _check_sizes(path, ln, n: int, s: int, max_customers: int) -> None:
    if not 1 <= n <= max_customers:
        raise BenchmarkFormatError(path, ln, "customers", f"{n} customers: must be 1…{max_customers}")
    if not 1 <= s <= MAX_SATELLITES:
        raise BenchmarkFormatError(path, ln, "satellites", f"{s} satellites: must be 1…{MAX_SATELLITES}")


def read_breunig(path: str | Path, max_customers: int = MAX_CUSTOMERS) -> TwoEInstance:
    """Read a 2E-CVRP file in Breunig's ``.dat`` format.  Raises :class:`BenchmarkFormatError`."""
    path = Path(path)
    data = [(ln, raw.strip()) for ln, raw in enumerate(read_text(path).splitlines(), start=1)
            if raw.strip() and not raw.strip().startswith("!")]
    if len(data) < 4:
        raise BenchmarkFormatError(path, data[-1][0] if data else None, "lines",
                                   f"{len(data)} data lines; expected 4 (trucks, city freighters, stores, customers)")
    ln1, l1 = data[0]
    k1, q1, c1, f1 = _pair(l1.replace(" ", ""), path, ln1, "K1,Q1,c1,f1", 4)
    ln2, l2 = data[1]
    per_sat, k2, q2, c2, f2 = _pair(l2.replace(" ", ""), path, ln2, "maxPerSat,K2,Q2,c2,f2", 5)
    _check_fleet(path, ln1, k1, q1, k2, q2, per_sat, [("c1", c1, 1.0), ("f1", f1, 0.0)])
    _check_fleet(path, ln2, k1, q1, k2, q2, per_sat, [("c2", c2, 1.0), ("f2", f2, 0.0)])
    ln3, l3 = data[2]
    ln4, l4 = data[3]
    stores = l3.split()
    custs = l4.split()
    _check_sizes(path, ln4, len(custs), len(stores) - 1, max_customers)
    for ln, _ in data[4:]:
        raise BenchmarkFormatError(path, ln, "lines", "a fifth data line; the customers are on ONE line")
    pts = np.array([_pair(t, path, ln3, f"store {k}", 2) for k, t in enumerate(stores)])
    cq = np.array([_pair(t, path, ln4, f"customer {i}", 3) for i, t in enumerate(custs, start=1)])
    return _finish(path, path.stem, int(k1), q1, int(k2), q2, int(per_sat), pts[0], pts[1:], cq[:, :2], cq[:, 2],
                   ln4, "breunig")


def _finish(path, name, k1, q1, k2, q2, per_sat, depot, sats, xy, demand, ln, fmt) -> TwoEInstance:
    for i, q in enumerate(demand, start=1):
        if q < 0:
            raise BenchmarkFormatError(path, ln, f"customer {i} demand", f"negative demand {q:g}")
        if q > q2:
            raise BenchmarkFormatError(path, ln, f"customer {i} demand", f"demand {q:g} exceeds the city freighter "
                                       f"capacity Q2 = {q2:g} (no split deliveries to customers)")
    if float(demand.sum()) > k1 * q1 or float(demand.sum()) > k2 * q2:
        raise BenchmarkFormatError(path, ln, "demand", f"total demand {demand.sum():g} exceeds the fleet "
                                   f"(K1·Q1 = {k1 * q1:g}, K2·Q2 = {k2 * q2:g})")
    return TwoEInstance(name, str(path), k1, float(q1), k2, float(q2), per_sat, np.asarray(depot, float),
                        np.asarray(sats, float), np.asarray(xy, float), np.asarray(demand, float), fmt)


_HEAD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")
_SECTIONS = ("FLEET_SECTION", "NODE_COORD_SECTION", "SATELLITE_SECTION", "DEMAND_SECTION", "DEPOT_SECTION")


def read_perboli(path: str | Path, max_customers: int = MAX_CUSTOMERS) -> TwoEInstance:
    """Read a 2E-CVRP file in Perboli's TSPLIB-like format.  Raises :class:`BenchmarkFormatError`.

    ``SATELLITES`` and ``CUSTOMERS`` are checked against the limits before any section is read.

    One piece on purpose: one pass over the lines with the current section as state, like the CVRPLIB reader.
    """
    path = Path(path)
    lines = [(ln, raw.strip()) for ln, raw in enumerate(read_text(path).splitlines(), start=1) if raw.strip()]
    head: dict[str, tuple[str, int]] = {}
    for ln, line in lines:
        m = _HEAD.match(line)
        if m and m.group(1).upper() not in _SECTIONS:
            head.setdefault(m.group(1).upper(), (m.group(2), ln))

    def hint(key: str) -> tuple[int, int]:
        if key not in head:
            raise BenchmarkFormatError(path, None, key, f"missing header {key}")
        v, ln = head[key]
        try:
            return int(float(v)), ln
        except ValueError:
            raise BenchmarkFormatError(path, ln, key, f"not a number: {v!r}") from None

    n, ln_n = hint("CUSTOMERS")
    S, ln_s = hint("SATELLITES")
    _check_sizes(path, ln_n, n, S, max_customers)
    if "EDGE_WEIGHT_TYPE" in head and head["EDGE_WEIGHT_TYPE"][0].upper() != "EUC_2D":
        raise BenchmarkFormatError(path, head["EDGE_WEIGHT_TYPE"][1], "EDGE_WEIGHT_TYPE",
                                   f"{head['EDGE_WEIGHT_TYPE'][0]!r} is not supported (only EUC_2D)")
    q1, ln_f = hint("L1CAPACITY")
    q2, _ = hint("L2CAPACITY")
    k1, _ = hint("L1FLEET")
    k2, _ = hint("L2FLEET")
    _check_fleet(path, ln_f, k1, q1, k2, q2, k2, [])
    nodes = np.full((n + 1, 2), np.nan)
    sats = np.full((S, 2), np.nan)
    demand = np.full(n + 1, np.nan)
    section = None
    for ln, line in lines:
        word = line.split()[0].rstrip(":").upper()
        if word in _SECTIONS:
            section = word
            continue
        if word == "EOF":
            break
        if _HEAD.match(line):
            continue
        if section in ("NODE_COORD_SECTION", "SATELLITE_SECTION", "DEMAND_SECTION"):
            toks = line.split()
            k = 2 if section == "DEMAND_SECTION" else 3
            if len(toks) != k:
                raise BenchmarkFormatError(path, ln, section, f"expected {k} numbers, got {line[:60]!r}")
            try:
                idx = int(toks[0])
                vals = [float(x) for x in toks[1:]]
            except ValueError:
                raise BenchmarkFormatError(path, ln, section, f"not numbers: {line[:60]!r}") from None
            lo, hi = (1, S) if section == "SATELLITE_SECTION" else (0, n)
            if not lo <= idx <= hi:
                raise BenchmarkFormatError(path, ln, section, f"node {idx} outside {lo}…{hi} (CUSTOMERS {n}, "
                                           f"SATELLITES {S})")
            target = {"NODE_COORD_SECTION": nodes, "SATELLITE_SECTION": sats, "DEMAND_SECTION": demand}[section]
            row = idx - 1 if section == "SATELLITE_SECTION" else idx
            if not np.all(np.isnan(target[row])):
                raise BenchmarkFormatError(path, ln, section, f"node {idx} given twice")
            target[row] = vals if section != "DEMAND_SECTION" else vals[0]
    for name, arr in (("NODE_COORD_SECTION", nodes), ("SATELLITE_SECTION", sats), ("DEMAND_SECTION", demand)):
        bad = np.flatnonzero(np.isnan(arr).reshape(len(arr), -1).any(axis=1))
        if len(bad):
            first = int(bad[0]) + (1 if name == "SATELLITE_SECTION" else 0)
            raise BenchmarkFormatError(path, None, name, f"node {first} missing ({len(bad)} missing in all)")
    name = head.get("NAME", (path.stem, 0))[0] or path.stem
    return _finish(path, name, k1, float(q1), k2, float(q2), k2, nodes[0], sats, nodes[1:], demand[1:], ln_n,
                   "perboli")


def read_twoe(path: str | Path, fmt: str | None = None, max_customers: int = MAX_CUSTOMERS) -> TwoEInstance:
    """Read a 2E-CVRP file; ``fmt`` (``"breunig"``/``"perboli"``) forces the format, else it is detected."""
    fmt = fmt or detect(path)
    if fmt == "perboli":
        return read_perboli(path, max_customers)
    if fmt == "breunig":
        return read_breunig(path, max_customers)
    raise BenchmarkFormatError(path, None, "format", "neither a Breunig .dat nor a Perboli 2E-CVRP file",
                               "use --format breunig or --format perboli")
