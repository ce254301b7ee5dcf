"""Cordeau's benchmark files: the multi-depot VRP (``type`` 2) and the periodic VRP (``type`` 1).

Format (Cordeau, Gendreau & Laporte 1997; the NEO "VRP Web" description)::

    type m n t            type 2 (MDVRP): m vehicles at each depot, n customers, t depots
                          type 1 (PVRP):  m vehicles each day,      n customers, t days
    D Q                   t lines: maximum route duration (0 = none) and vehicle capacity
    0 x y 0 0 0 0         PVRP only: the depot (node 0)
    i x y d q f a list    n customer lines: coordinates, service duration d, demand q (per visit),
                          visit frequency f, a allowed combinations, then the a combination codes
    j x y 0 0 0 0         MDVRP only: t depot lines, ids n+1 … n+t

A PVRP combination code is the decimal value of a t-bit string whose leftmost bit is day 1 (t = 5:
code 10 = 01010 = days 2 and 4).  In an MDVRP file ``f a list`` are meaningless and ignored.
Trailing fields after the combination list (time windows of the pr files) are ignored.
Distances are Euclidean in double precision (not rounded): :func:`euclid`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from culture_logistics.formats.base import (
    MAX_CUSTOMERS,
    MAX_DAYS,
    MAX_DEPOTS,
    BenchmarkFormatError,
    numbered_lines,
    read_text,
)


@dataclass
class CordeauInstance:
    """One Cordeau MDVRP or PVRP instance.

    Attributes
    ----------
    kind : ``"mdvrp"`` or ``"pvrp"``.
    vehicles : m, vehicles at each depot (MDVRP) / on each day (PVRP).
    max_duration : per depot (MDVRP) / day (PVRP): the route duration limit (travel + service; 0 = none).
    capacity : per depot / day: the vehicle capacity.
    xy : (n, 2) customer coordinates, customer i (1-based in the file) in row i - 1.
    service : (n,) service durations; demand : (n,) demand per visit.
    frequency : (n,) visits asked (PVRP); combos : per customer, the allowed day sets (tuples of days 1…t).
    depot_xy : (t, 2) depot coordinates (MDVRP: depot k = file id n + k) or (1, 2) (PVRP: node 0).
    """

    kind: str
    name: str
    path: str
    vehicles: int
    n: int
    t: int
    max_duration: list
    capacity: list
    xy: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    frequency: np.ndarray
    combos: list
    depot_xy: np.ndarray
    codes: list = field(default_factory=list)   # the raw combination codes per customer (PVRP)

    @property
    def num_depots(self) -> int:
        return len(self.depot_xy)

    def points(self) -> np.ndarray:
        """Depots first (MDVRP: depot k in row k - 1; PVRP: the depot in row 0), then customers 1…n."""
        return np.vstack([self.depot_xy, self.xy])


def euclid(points: np.ndarray) -> np.ndarray:
    """The unrounded Euclidean distance matrix of ``points`` (k, 2)."""
    d = points[:, None, :] - points[None, :, :]
    return np.sqrt((d ** 2).sum(axis=2))


def code_days(code: int, t: int) -> tuple[int, ...]:
    """The days (1…t) of a combination code: a t-bit string whose LEFTMOST bit is day 1.

    >>> code_days(10, 5), code_days(16, 5), code_days(1, 5)
    ((2, 4), (1,), (5,))
    """
    return tuple(d for d in range(1, t + 1) if code >> (t - d) & 1)


def _int(tok: str, path, ln: int, fld: str) -> int:
    try:
        v = float(tok)
    except ValueError:
        raise BenchmarkFormatError(path, ln, fld, f"not a number: {tok!r}") from None
    if not math.isfinite(v) or v != int(v):
        raise BenchmarkFormatError(path, ln, fld, f"not a whole number: {tok!r}")
    return int(v)


def _num(tok: str, path, ln: int, fld: str) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise BenchmarkFormatError(path, ln, fld, f"not a number: {tok!r}") from None
    if not math.isfinite(v):
        raise BenchmarkFormatError(path, ln, fld, f"not a finite number: {tok!r}")
    return v


def read_cordeau(path: str | Path, kind: str | None = None, max_customers: int = MAX_CUSTOMERS) -> CordeauInstance:
    """Read a Cordeau MDVRP (type 2) or PVRP (type 1) file; ``kind`` (``"mdvrp"``/``"pvrp"``) forces the type.

    The header's sizes are checked (``n`` ≤ ``max_customers``, ``t`` ≤ :data:`MAX_DEPOTS` depots or
    :data:`MAX_DAYS` days) before anything is allocated.  Raises :class:`BenchmarkFormatError`.

    One pass over the file's lines in their order (header, t limit lines, the PVRP depot, n customers, the
    MDVRP depots), each step naming the line and field of every problem.
    """
    path = Path(path)
    lines = numbered_lines(read_text(path))
    if not lines:
        raise BenchmarkFormatError(path, None, "header", "empty file", "a Cordeau file starts with 'type m n t'")
    kind, typ, m, n, t = _read_header(lines, path, kind, max_customers)
    max_duration, capacity = _read_limits(lines[1:1 + t], path)
    pos = 1 + t
    depot_xy = np.zeros((t if typ == 2 else 1, 2))
    if typ == 1:
        depot_xy[0] = _read_pvrp_depot(lines[pos], path)
        pos += 1
    cust = _Customers(n)
    for i in range(1, n + 1):
        _read_customer(lines[pos], path, i, n, typ, t, max(capacity), cust)
        pos += 1
    if typ == 2:
        for k in range(t):
            depot_xy[k] = _read_mdvrp_depot(lines[pos], path, n + k + 1)
            pos += 1
    return CordeauInstance(kind, path.stem, str(path), m, n, t, max_duration, capacity, cust.xy, cust.service,
                           cust.demand, cust.freq, cust.combos, depot_xy, cust.codes)


def _read_header(lines: list, path: Path, kind: str | None, max_customers: int) -> tuple[str, int, int, int, int]:
    """The header line 'type m n t', its sizes checked against the limits and the file's line count."""
    ln, h = lines[0]
    if len(h) < 4:
        raise BenchmarkFormatError(path, ln, "header", f"expected 'type m n t', got {' '.join(h)!r}")
    typ, m, n, t = (_int(h[i], path, ln, f) for i, f in enumerate(("type", "m", "n", "t")))
    want = {"mdvrp": 2, "pvrp": 1}
    if kind is not None:
        if kind not in want:
            raise ValueError(f"kind must be 'mdvrp' or 'pvrp', got {kind!r}")
        if typ != want[kind]:
            raise BenchmarkFormatError(path, ln, "type", f"type {typ}, but a {kind.upper()} file has type "
                                       f"{want[kind]}", "check --format")
    elif typ not in (1, 2):
        raise BenchmarkFormatError(path, ln, "type", f"type {typ} is neither 2 (MDVRP) nor 1 (PVRP)")
    kind = "mdvrp" if typ == 2 else "pvrp"
    if m < 1:
        raise BenchmarkFormatError(path, ln, "m", f"vehicles per {'depot' if typ == 2 else 'day'} must be ≥ 1, got {m}")
    if not 1 <= n <= max_customers:
        raise BenchmarkFormatError(path, ln, "n", f"{n} customers: must be 1…{max_customers}",
                                   "a larger instance needs a larger limit")
    tmax = MAX_DEPOTS if typ == 2 else MAX_DAYS
    if not 1 <= t <= tmax:
        raise BenchmarkFormatError(path, ln, "t", f"{t} {'depots' if typ == 2 else 'days'}: must be 1…{tmax}")
    need = 1 + t + n + (t if typ == 2 else 1)
    if len(lines) < need:
        raise BenchmarkFormatError(path, lines[-1][0], "lines", f"the header announces {need} non-blank lines "
                                   f"(1 + {t} limits + {n} customers + {t if typ == 2 else 1} depot(s)), the "
                                   f"file has {len(lines)}")
    return kind, typ, m, n, t


def _read_limits(limit_lines: list, path: Path) -> tuple[list, list]:
    """The t lines 'D Q': route duration limits and vehicle capacities."""
    max_duration, capacity = [], []
    for ln, toks in limit_lines:
        if len(toks) < 2:
            raise BenchmarkFormatError(path, ln, "D Q", f"expected 'D Q', got {' '.join(toks)!r}")
        D = _num(toks[0], path, ln, "D")
        Q = _num(toks[1], path, ln, "Q")
        if D < 0:
            raise BenchmarkFormatError(path, ln, "D", f"negative duration limit {toks[0]}")
        if Q <= 0:
            raise BenchmarkFormatError(path, ln, "Q", f"capacity must be > 0, got {toks[1]}")
        max_duration.append(D)
        capacity.append(Q)
    return max_duration, capacity


def _read_pvrp_depot(line: tuple[int, list[str]], path: Path) -> tuple[float, float]:
    """The PVRP depot line '0 x y …': its coordinates."""
    ln, toks = line
    if len(toks) < 3 or _int(toks[0], path, ln, "i") != 0:
        raise BenchmarkFormatError(path, ln, "depot", f"expected the depot line '0 x y …', got {' '.join(toks)!r}")
    return _num(toks[1], path, ln, "x"), _num(toks[2], path, ln, "y")


def _read_mdvrp_depot(line: tuple[int, list[str]], path: Path, j: int) -> tuple[float, float]:
    """The MDVRP depot line 'j x y …' (j = n + k for depot k): its coordinates."""
    ln, toks = line
    if len(toks) < 3 or _int(toks[0], path, ln, "j") != j:
        raise BenchmarkFormatError(path, ln, "depot", f"expected depot line '{j} x y …', got "
                                   f"{' '.join(toks)[:60]!r}")
    return _num(toks[1], path, ln, "x"), _num(toks[2], path, ln, "y")


class _Customers:
    """The customer arrays being filled, customer i (1-based) in row i - 1."""

    def __init__(self, n: int) -> None:
        self.xy = np.zeros((n, 2))
        self.service = np.zeros(n)
        self.demand = np.zeros(n)
        self.freq = np.zeros(n, dtype=np.int64)
        self.combos: list = []
        self.codes: list = []


def _read_customer(line: tuple[int, list[str]], path: Path, i: int, n: int, typ: int, t: int, max_capacity: float,
                   cust: _Customers) -> None:
    """Customer line i 'i x y d q f a list' into ``cust`` (PVRP: its allowed day combinations)."""
    ln, toks = line
    if len(toks) < 7:
        raise BenchmarkFormatError(path, ln, f"customer {i}", f"expected 'i x y d q f a list', got "
                                   f"{' '.join(toks)[:60]!r}")
    if _int(toks[0], path, ln, "i") != i:
        raise BenchmarkFormatError(path, ln, "i", f"customer number {toks[0]}, expected {i} (customers 1…{n} "
                                   "in order)")
    cust.xy[i - 1] = (_num(toks[1], path, ln, "x"), _num(toks[2], path, ln, "y"))
    cust.service[i - 1] = _num(toks[3], path, ln, "d")
    cust.demand[i - 1] = _num(toks[4], path, ln, "q")
    if cust.service[i - 1] < 0 or cust.demand[i - 1] < 0:
        raise BenchmarkFormatError(path, ln, "d" if cust.service[i - 1] < 0 else "q", "negative value")
    f = _int(toks[5], path, ln, "f")
    a = _int(toks[6], path, ln, "a")
    if typ == 1:
        cs, days = _read_combinations(toks, ln, path, f, a, t)
        cust.freq[i - 1] = len(days[0]) if f <= 0 else f   # p11 node 131 has f = 0 with one-day combinations
        cust.combos.append(days)
        cust.codes.append(cs)
    else:
        cust.freq[i - 1] = 1
    if cust.demand[i - 1] > max_capacity:
        raise BenchmarkFormatError(path, ln, "q", f"demand {toks[4]} exceeds every vehicle capacity "
                                   f"({max_capacity:g})")


def _read_combinations(toks: list[str], ln: int, path: Path, f: int, a: int,
                       t: int) -> tuple[list[int], list[tuple[int, ...]]]:
    """A PVRP customer's ``a`` combination codes and their day sets, each of ``f`` days (f ≤ 0: any)."""
    if not 0 <= a <= 2 ** t or len(toks) < 7 + a:
        raise BenchmarkFormatError(path, ln, "a", f"{a} combinations announced, {len(toks) - 7} codes given")
    cs = [_int(c, path, ln, "combination") for c in toks[7:7 + a]]
    days = []
    for c in cs:
        if not 1 <= c < 2 ** t:
            raise BenchmarkFormatError(path, ln, "combination", f"code {c} is not a set of days 1…{t} "
                                       f"(1…{2 ** t - 1})")
        days.append(code_days(c, t))
    if not days:
        raise BenchmarkFormatError(path, ln, "a", "no allowed visit combination")
    if f > 0 and any(len(d) != f for d in days):
        raise BenchmarkFormatError(path, ln, "combination", f"frequency {f} but a combination has "
                                   f"{[len(d) for d in days if len(d) != f][0]} days")
    return cs, days
