"""Header and value aliases of the input tables: the Chinese (and English label) names officials' sheets use.

A county office's village list says 村代码 / 经度 / 人口 where the contract says ``code`` / ``lon`` /
``population``, and 邮政 / 乡镇 where it says ``postal`` / ``township``.  The readers map every header
through :func:`canonical_header` (per table: 名称 is a village's name in the village list and a station's
name in the facility list) and every operator / tier value through :func:`operator_value` /
:func:`tier_value`.  The planner's own Chinese output (``--lang zh`` headers of ``village_reach.xlsx``,
``reports/labels.py``) maps back where its columns make sense (村代码, 村名, 乡镇代码, 人口).

Matching is on a normalised header: surrounding whitespace and a BOM removed, lower case, inner
whitespace, ``_`` and ``-`` dropped, full-width brackets made ASCII — so ``Village code``,
``village_code`` and ``村代码 `` all match.  README.md ("XLSX and Chinese headers") lists the aliases.
"""
from __future__ import annotations

import re

_SPACE = re.compile(r"[\s_\-]+")

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "\u3000": " "})


def normalise(header: str) -> str:
    """The form headers are compared in (see the module docstring)."""
    h = str(header).strip().lstrip("\ufeff").strip().translate(_FULLWIDTH).lower()
    return _SPACE.sub("", h)


_LONLAT = {
    "lon": ("经度", "longitude", "lng", "经度(°)"),
    "lat": ("纬度", "latitude", "纬度(°)"),
}

#: canonical column → accepted aliases, per table
VILLAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("村代码", "行政区划代码", "统计用区划代码", "区划代码", "村级代码", "村(居)代码", "village code"),
    "name": ("村名称", "村名", "名称", "村(居)名称", "村委会名称", "village", "village name"),
    "township_code": ("乡镇代码", "乡镇(街道)代码", "township code"),
    **_LONLAT,
    "population": ("人口", "户籍人口", "常住人口", "人口数", "总人口"),
    "parcels_in_per_week": ("每周收件量", "每周进件量"),
    "parcels_out_per_week": ("每周寄件量", "每周出件量"),
    "other_in_per_week": ("其他快递每周收件量", "其他每周收件量", "每周其他收件量", "每周其他进件量"),
    "other_out_per_week": ("其他快递每周寄件量", "其他每周寄件量", "每周其他寄件量", "每周其他出件量"),
}

FACILITY_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("站点编号", "编号", "设施编号", "网点编号", "facility id"),
    "name": ("站点名称", "名称", "设施名称", "网点名称", "facility", "facility name"),
    "operator": ("运营方", "所属", "运营主体", "运营单位"),
    "tier": ("层级", "级别", "等级"),
    "brand": ("品牌",),
    "capacity_per_day": ("日处理能力", "日处理能力(件)", "日处理能力(件/天)", "日处理量"),
    **_LONLAT,
}

TOWNSHIP_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("乡镇代码", "乡镇(街道)代码", "区划代码", "统计用区划代码", "代码", "township code"),
    "name": ("乡镇名称", "乡镇(街道)", "乡镇", "名称", "township"),
    **_LONLAT,
    "seat_source": ("驻地来源",),
}

DESTINATION_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "点位编号", "目的地编号", "destination id"),
    "name": ("名称", "点位名称", "目的地名称", "destination", "destination name"),
    "kind": ("类型", "类别", "点位类型", "kind of destination"),
    "village_code": ("村代码", "所在村代码", "行政区划代码", "区划代码", "village code"),
    **_LONLAT,
    "in_per_week": ("每周收件量", "每周进件量"),
    "out_per_week": ("每周寄件量", "每周出件量"),
    "days": ("收货日", "配送日", "到货日", "收货星期"),
}

#: Chinese (and common) destination kinds → the contract's kind
DESTINATION_KIND_VALUES: dict[str, str] = {
    "文化超市": "culture_store", "文化产品展销店": "culture_store", "展销店": "culture_store",
    "综合文化服务中心": "cultural_centre", "综合性文化服务中心": "cultural_centre",
    "文化服务中心": "cultural_centre", "cultural_center": "cultural_centre",
    "农家书屋": "library", "书屋": "library",
}

#: Chinese (and common) operator values → the contract's operator
OPERATOR_VALUES: dict[str, str] = {
    "邮政": "postal", "中国邮政": "postal", "邮政局": "postal", "邮政公司": "postal", "邮政所": "postal",
    "供销": "supply_coop", "供销社": "supply_coop", "供销合作社": "supply_coop",
    "快递": "courier",
    "共配": "shared", "共享": "shared", "共配点": "shared", "共配中心": "shared",
}

#: Chinese tier values → the contract's tier
TIER_VALUES: dict[str, str] = {
    "县": "county", "县级": "county",
    "乡镇": "township", "乡": "township", "镇": "township", "街道": "township", "乡镇级": "township",
    "乡级": "township", "镇级": "township",
    "村": "village", "村级": "village",
}


def header_map(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header → canonical column, for one table (a canonical name maps to itself)."""
    out = {normalise(c): c for c in aliases}
    for canon, names in aliases.items():
        for n in names:
            out.setdefault(normalise(n), canon)
    return out


def canonical_header(header: str, mapping: dict[str, str]) -> str:
    """The contract's column for a header (the normalised header itself when it is no alias)."""
    key = normalise(header)
    return mapping.get(key, str(header).strip().lstrip("\ufeff").strip().lower())


def _value(value: str, table: dict[str, str]) -> str:
    v = str(value).strip()
    if v in table:
        return table[v]
    return v.lower().replace("-", "_").replace(" ", "_")


def operator_value(value: str) -> str:
    """``邮政`` → ``postal`` …; any other value lower-cased with ``-``/space → ``_`` (checked by the reader)."""
    return _value(value, OPERATOR_VALUES)


def destination_kind_value(value: str) -> str:
    """``文化超市`` → ``culture_store`` …; any other value lower-cased (checked by the reader)."""
    return _value(value, DESTINATION_KIND_VALUES)


def tier_value(value: str) -> str:
    """``乡镇`` → ``township`` …; any other value lower-cased (checked by the reader)."""
    return _value(value, TIER_VALUES)
