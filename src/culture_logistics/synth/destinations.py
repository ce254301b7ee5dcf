"""Synthetic cultural destinations (destinations.csv) for an embedded county: invented, for planning exercises.

Built from a county's own villages and township seats, with no random draw (so the same villages and seats
give the same file whatever else the builder changes):

* **文化超市** (``culture_store``): in every third township (by code, the first included), at its seat, in the
  village nearest the seat; 35 cultural parcels in and 6 out a week, received on days ``1,4`` or ``2,5``
  (alternating by township).
* **综合文化服务中心** (``cultural_centre``): in every 50th village (by code, from the 11th), ~80 m north-east of
  the village point; 10 in, 2 out a week, received on Wednesdays (``3``).
* **农家书屋** (``library``): in every 50th village (by code, from the 36th), ~80 m north-east of the village
  point; 4 in, 0 out a week, any delivery day.

Only the village codes (and names) are real; the kinds, points, parcels and days are made up, and the file says
so in its first line (a title row the readers skip).
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

#: destinations.csv's columns (docs/CONTRACT.md)
DESTINATION_FILE_COLUMNS = ["id", "name", "kind", "village_code", "lon", "lat", "in_per_week", "out_per_week", "days"]

#: the title row above the header of a synthetic destinations.csv
SYNTHETIC_TITLE = ("# SYNTHETIC cultural destinations (culture_logistics.synth.destinations): real village codes; "
                   "kinds, points, parcels and days invented for planning exercises")

#: (kind, every n-th, first index, parcels in a week, out a week, days) of the village destinations
_VILLAGE_RULES = (("cultural_centre", 50, 10, 10, 2, "3"), ("library", 50, 35, 4, 0, ""))

_OFFSET_DEG = 0.0005     # ~55 m east and ~55 m north of the village point (≈ 80 m)

#: the README bullet of a county built with destinations (its "Synthetic" list)
DESTINATIONS_README = ("* The cultural destinations (`destinations.csv`): 文化超市 at the seats of every third township, "
                       "综合文化服务中心 and 农家书屋\n  in every 50th village, with their parcels and receiving days, "
                       "are invented (the village codes are real);\n  see `culture_logistics.synth.destinations`.\n")

_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


def short_village_name(name: str) -> str:
    """A village's name without its committee suffix: ``兴华社区居民委员会`` → ``兴华社区``."""
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def destination_rows(adcode: str, villages: pd.DataFrame, townships: pd.DataFrame) -> list[list]:
    """The rows of a synthetic destinations.csv (:data:`DESTINATION_FILE_COLUMNS`; see the module docstring).

    Parameters
    ----------
    adcode : the county code (the ids are ``<adcode>-DS-001`` …, never a village code).
    villages : code, name, township_code, lon, lat (villages.csv).
    townships : code, name, lon, lat of the seats (townships.csv); a township without a seat is skipped.
    """
    v = villages.assign(code=villages["code"].astype(str)).sort_values("code", kind="stable").reset_index(drop=True)
    vlon, vlat = v["lon"].astype(float).to_numpy(), v["lat"].astype(float).to_numpy()
    rows: list[list] = []
    tw = townships.assign(code=townships["code"].astype(str)).sort_values("code", kind="stable")
    tw = tw[pd.to_numeric(tw["lon"], errors="coerce").notna() & pd.to_numeric(tw["lat"], errors="coerce").notna()]
    n = 0
    for i, t in enumerate(tw.itertuples(index=False)):
        inside = np.flatnonzero(v["township_code"].astype(str).to_numpy() == t.code)
        if i % 3 or not len(inside):
            continue
        lon, lat = float(t.lon), float(t.lat)
        k = inside[int(np.argmin((vlon[inside] - lon) ** 2 + (vlat[inside] - lat) ** 2))]
        n += 1
        rows.append([f"{adcode}-DS-{n:03d}", f"{t.name}文化超市", "culture_store", v["code"].iat[k], f"{lon:.6f}",
                     f"{lat:.6f}", 35, 6, "1,4" if n % 2 else "2,5"])
    for kind, every, first, a, b, days in _VILLAGE_RULES:
        tag = {"cultural_centre": "DC", "library": "DL"}[kind]
        word = {"cultural_centre": "综合文化服务中心", "library": "农家书屋"}[kind]
        for n, k in enumerate(range(first, len(v), every), start=1):
            rows.append([f"{adcode}-{tag}-{n:03d}", f"{short_village_name(str(v['name'].iat[k]))}{word}", kind,
                         v["code"].iat[k], f"{vlon[k] + _OFFSET_DEG:.6f}", f"{vlat[k] + _OFFSET_DEG:.6f}", a, b, days])
    return rows


def destinations_text(adcode: str, villages: pd.DataFrame, townships: pd.DataFrame) -> str:
    """A synthetic destinations.csv (UTF-8 text): :data:`SYNTHETIC_TITLE`, the header, :func:`destination_rows`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([SYNTHETIC_TITLE])
    w.writerow(DESTINATION_FILE_COLUMNS)
    w.writerows(destination_rows(adcode, villages, townships))
    return buf.getvalue()
