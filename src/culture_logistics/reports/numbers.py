"""One rounding for every figure people compare: a rate shown as 54.6 % in a workbook is 54.6 % on the map.

Python's ``f"{x:.1%}"`` and pandas' ``round(1)`` both round the binary float, so a rate whose
percentage ends in 5 (e.g. 6/11 of the population … or 0.5455) can come out as 54.5 in one and 54.6
in the other.  Every table, map, popup and legend rounds rates through :func:`pct` instead: half up,
on the decimal value of the rate (first rounded to 9 places, which removes the binary noise).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def pct(rate, nd: int = 1) -> float | None:
    """``rate`` (a share, 0–1) as a percentage rounded half up to ``nd`` decimals; ``None`` for a missing rate.

    >>> pct(0.5455), pct(0.54549), pct(1.0), pct(0.0)
    (54.6, 54.5, 100.0, 0.0)
    """
    if rate is None:
        return None
    x = float(rate)
    if not math.isfinite(x):
        return None
    q = Decimal(repr(round(100.0 * x, 9))).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)
    return float(q)


def pct_text(rate, nd: int = 1) -> str:
    """``rate`` (0–1) as text, e.g. ``"54.6 %"`` (``"–"`` when missing); same rounding as :func:`pct`."""
    p = pct(rate, nd)
    return "–" if p is None else f"{p:.{nd}f} %"
