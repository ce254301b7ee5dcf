"""The 2020 census resident population of a county-level unit, which synthetic village populations are scaled to.

``data/census/census_county_2020.csv`` (Lei Dong, GitHub leiii/census, MIT; 第七次全国人口普查 figures
hand-compiled from the county bulletins; extracted by ``scripts/extract_census.py``).

Which figure: the **total resident population** (人口数_合计), not 乡村人口.  The builder generates every
village-level unit of the county — urban 居委会/社区 as well as 村委会 — so their sum stands for everyone
living in the county.  乡村人口 is the census' urban–rural classification of residents, which does not
follow the 村委会/居委会 line (a 村委会 inside a town's built-up area counts as 城镇), so scaling only some
units to it would have no consistent meaning.

A unit is found by its code; an NBS 2023 functional zone whose code differs from the census' (370176
济南高新技术产业开发区 is 370171 in the census, 370676 烟台经济技术开发区 is 370672) is found by its exact name
within the same city (first four digits).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache

from culture_logistics.resources import data_dir

CENSUS_CREDIT = "2020 census (第七次全国人口普查) via Lei Dong, GitHub leiii/census (MIT)"


@dataclass(frozen=True)
class CensusFigure:
    """One county's census figures (persons) and how it was matched.

    Attributes
    ----------
    code : the census row's code (may differ from the NBS 2023 code; see ``matched_by``).
    name : the census row's county name.
    population, urban, rural : 人口数_合计, 城镇人口, 乡村人口 (persons; urban/rural ``None`` when not given).
    matched_by : ``"code"`` or ``"name"``.
    """

    code: str
    name: str
    population: int
    urban: int | None
    rural: int | None
    matched_by: str


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    with open(data_dir() / "census" / "census_county_2020.csv", encoding="utf-8", newline="") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


def _figure(r: dict, how: str) -> CensusFigure:
    def num(v):
        return int(v) if v else None
    return CensusFigure(r["code"], r["county"], int(r["population"]), num(r["urban"]), num(r["rural"]), how)


def census_figure(adcode: str, name: str | None = None) -> CensusFigure | None:
    """The census row of a county-level unit, by code, else by exact ``name`` within the same city.

    Parameters
    ----------
    adcode : 6-digit NBS 2023 code.
    name : the unit's Chinese name (NBS 2023), for units whose code the census writes differently.

    Returns
    -------
    CensusFigure or None
        ``None`` when the census has no such unit.
    """
    t = _table()
    r = t.get(str(adcode))
    if r is not None and r["population"]:
        return _figure(r, "code")
    if name:
        same = [r for c, r in t.items() if c[:4] == str(adcode)[:4] and r["county"] == name and r["population"]]
        if len(same) == 1:
            return _figure(same[0], "name")
    return None


def scale_to_total(populations: list[int], total: int) -> list[int]:
    """Integers proportional to ``populations`` summing exactly to ``total`` (largest remainder).

    Each value becomes ``floor(p × total / sum)``; the units still missing go one each to the largest
    fractional parts (ties to the earlier entry), so the result is deterministic.  Every village keeps at
    least 1 resident when ``total`` allows.

    Parameters
    ----------
    populations : the generated populations (persons, > 0).
    total : the census figure to reach (persons).
    """
    s = sum(populations)
    if not populations or s <= 0:
        return list(populations)
    exact = [p * total / s for p in populations]
    out = [max(1, math.floor(x)) for x in exact]
    rest = total - sum(out)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    k = 0
    while rest > 0:
        out[order[k % len(order)]] += 1
        rest -= 1
        k += 1
    while rest < 0:  # only when the max(1, …) floor overshot: take from the largest
        i = max(range(len(out)), key=lambda j: (out[j], -j))
        out[i] -= 1
        rest += 1
    return out
