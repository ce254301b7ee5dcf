"""The weekly plan's rule from a village's weekly parcels to its visits per week.

It lives in ``config`` (not in ``routing``) because coverage's reach tables show the same figure
(``village_reach.csv`` ``visits_per_week``) and coverage sits below routing in the layers.
"""
from __future__ import annotations

import numpy as np

from culture_logistics.config.routing import RoutingParams

#: Weekday names of delivery days 1…7 (day 1 = Monday), Chinese and English.
DAY_NAMES = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")


def visits_per_week(parcels_in_per_week, parcels_out_per_week, params: RoutingParams | None = None) -> np.ndarray:
    """Visits per week of each village.

    ``visits = clamp(⌈(in + out) / parcels_per_visit⌉, min_visits_per_week, delivery_days_per_week)``;
    a village with no parcels at all (in + out = 0) is not visited (0).

    Parameters
    ----------
    parcels_in_per_week, parcels_out_per_week : array-like, parcels per week (delivered to / picked
        up from the village).
    params : ``[routing]`` parameters (``min_visits_per_week``, ``parcels_per_visit``,
        ``delivery_days_per_week``); the defaults when None.

    Returns
    -------
    numpy.ndarray of int, visits per week (0 … ``delivery_days_per_week``).
    """
    p = params or RoutingParams()
    total = np.asarray(parcels_in_per_week, dtype=float) + np.asarray(parcels_out_per_week, dtype=float)
    total = np.where(np.isfinite(total), total, 0.0)
    days = int(p.delivery_days_per_week)
    lo = min(int(p.min_visits_per_week), days)
    v = np.ceil(np.round(total / float(p.parcels_per_visit), 9)).astype(np.int64)
    v = np.clip(v, lo, days)
    return np.where(total > 0, v, 0).astype(np.int64)
