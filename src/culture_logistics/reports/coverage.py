"""Coverage outputs: reach tables (CSV/XLSX/JSON) and the coverage map, for planners and officials.

:func:`build_coverage_report` computes every output in memory (tables, workbook sheets, the
rendered HTML page); :meth:`CoverageReport.write` then writes them with the atomic writers of
:mod:`culture_logistics.reports.writers`, so a failure never leaves half-written files.

Files (see README, "Coverage outputs")
------------------------------------
``village_reach.csv``   one row per village (``VILLAGE_REACH_COLUMNS``), sorted by code
``township_reach.csv``  one row per township (``TOWNSHIP_REACH_COLUMNS``)
``gaps.csv``            villages not reached (``GAP_COLUMNS``): missing operators, distance to each
``summary.json``        county figures, ``by_operator`` {operator: {villages_reached, population_reached}}
``village_reach.xlsx``  a county summary sheet, a gaps sheet, one sheet per township; codes as text (with
                        cultural destinations also a destinations sheet)
``destination_reach.csv`` with cultural destinations only: one row per destination (``DESTINATION_REACH_COLUMNS``)
``coverage_map.html``   the map (offline: Leaflet inlined)
``coverage.gpkg``       villages, facilities, service areas, townships for GIS (EPSG:4326; see reports.gis)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from culture_logistics.config.model import CARRIERS
from culture_logistics.coverage.reach import CoverageResult
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.reports.gis import coverage_layers, write_gpkg
from culture_logistics.reports.labels import TEXT_COLUMNS, column_label, op_label, table_operator, table_operators
from culture_logistics.reports.maps.base import destination_label, render_map
from culture_logistics.reports.maps.coverage import coverage_map
from culture_logistics.reports.numbers import pct, pct_text
from culture_logistics.reports.workbooks import write_xlsx
from culture_logistics.reports.writers import atomic_write_text, write_csv, write_json

FILES = ("village_reach.csv", "township_reach.csv", "gaps.csv", "summary.json", "village_reach.xlsx",
         "coverage_map.html", "coverage.gpkg")


@dataclass
class CoverageReport:
    """Every coverage output, computed and held in memory; :meth:`write` puts them on disk.

    Attributes
    ----------
    result : the :class:`~culture_logistics.coverage.reach.CoverageResult`.
    village_table, township_table, gap_table : the CSV tables (DataFrames of text/numbers).
    summary : the ``summary.json`` dict.
    sheets : workbook sheets {sheet name: DataFrame}; ``text_columns`` are written as text cells.
    map_html : the rendered ``coverage_map.html`` page (str), or ``None`` when not requested.
    """

    result: CoverageResult
    village_table: pd.DataFrame
    township_table: pd.DataFrame
    gap_table: pd.DataFrame
    summary: dict
    sheets: dict
    text_columns: set
    map_html: str | None
    timings_s: dict = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the files into ``out_dir`` (created when missing); returns {file name: path}."""

        out = Path(out_dir)
        t0 = time.perf_counter()
        gis = coverage_layers(self.result)  # computed before the first file is written
        paths = {
            "village_reach.csv": write_csv(self.village_table, out / "village_reach.csv"),
            "township_reach.csv": write_csv(self.township_table, out / "township_reach.csv"),
            "gaps.csv": write_csv(self.gap_table, out / "gaps.csv"),
            "summary.json": write_json(self.summary, out / "summary.json"),
            "village_reach.xlsx": write_xlsx(self.sheets, out / "village_reach.xlsx", text_columns=self.text_columns),
        }
        if self.result.destinations is not None:
            paths["destination_reach.csv"] = write_csv(self.result.destination_table(),
                                                       out / "destination_reach.csv")
        if self.map_html is not None:
            paths["coverage_map.html"] = atomic_write_text(out / "coverage_map.html", self.map_html)
        paths["coverage.gpkg"] = write_gpkg(gis, out / "coverage.gpkg")
        self.timings_s["write"] = time.perf_counter() - t0
        return paths


def build_coverage_report(result: CoverageResult, lang: str = "en", tiles: str = "osm",
                          with_map: bool = True) -> CoverageReport:
    """Compute every coverage output in memory (tables, workbook, map page); nothing is written.

    Parameters
    ----------
    result : from :func:`~culture_logistics.coverage.reach.compute_coverage`.
    lang : ``"en"`` or ``"zh"``: workbook headers and values, and the map's labels.
    tiles : base map of the page: ``"osm"``, ``"amap"`` (GCJ-02 shift applied) or ``"none"``.
    """

    if lang not in ("en", "zh"):
        raise CultureLogisticsError(f"unknown language {lang!r}; choose en or zh")
    t = {}
    t0 = time.perf_counter()
    village = result.village_table()
    township = result.township_table()
    gaps = result.gap_table()
    summary = coverage_summary(result)
    sheets, text_cols = workbook_sheets(result, lang)
    t["tables"] = time.perf_counter() - t0
    html = None
    if with_map:
        t0 = time.perf_counter()
        m = coverage_map(result, tiles=tiles, lang=lang)
        t["map_build"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        html = render_map(m)
        t["map_render"] = time.perf_counter() - t0
    return CoverageReport(result, village, township, gaps, summary, sheets, text_cols, html, t)


def coverage_summary(result: CoverageResult) -> dict:
    """``summary.json``: :meth:`CoverageResult.summary` plus the township count and the definitions used."""
    s = result.summary()
    s["townships"] = int(result.villages["township_code"].nunique())
    s["definitions"] = {
        "reached_by": "a facility of the operator, or a shared co-delivery point, within radius_m along the road network",
        "reached": "reached by every carrying operator that has a facility in the county (see 'carriers')",
        "reached_any": "reached by at least one carrying operator",
        "distance": "network metres: access leg + shortest road path + access leg",
    }
    return s


def workbook_sheets(result: CoverageResult, lang: str = "en") -> tuple[dict, set]:
    """Sheets of ``village_reach.xlsx``: county summary, gaps, then one sheet per township.

    Codes are text; yes/no (是/否) for the reach flags; operators in Chinese with ``lang="zh"``;
    distances in whole metres (empty when unreachable), times in minutes, rates in percent.
    """
    v = result.villages
    fac_name = dict(zip(result.scenario.facilities["id"], result.scenario.facilities["name"]))
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")

    def dist(col, nd=0):
        x = v[col].astype(float).to_numpy()
        return [round(float(d), nd) if np.isfinite(d) else None for d in x]

    table = pd.DataFrame({
        "village_code": v["village_code"], "village_name": v["village_name"],
        "township_code": v["township_code"], "township_name": v["township_name"],
        "population": v["population"].astype(int),
        "reached": np.where(v["reached"], yes, no), "reached_any": np.where(v["reached_any"], yes, no),
        "reached_by": [table_operators(x, lang) for x in v["reached_by"]],
        "missing_operators": [table_operators(x, lang) for x in v["missing_operators"]],
        "nearest_facility_id": v["nearest_facility_id"],
        "nearest_facility_name": [fac_name.get(i, "") for i in v["nearest_facility_id"]],
        "nearest_operator": [table_operator(x, lang) if x else "" for x in v["nearest_operator"]],
        "distance_m": [None if d is None else int(d) for d in dist("distance_m")],
        "travel_time_min": dist("travel_time_min", 1),
    })
    for op in result.carriers:
        table[f"{op}_distance_m"] = [None if d is None else int(d) for d in dist(f"dist_{op}_m")]
    tw = result.township_table().copy()
    for c, den in (("reach_rate", "villages"), ("population_reach_rate", "population")):
        # the map's rounding (reports.numbers); "–" where nothing was measured (no villages, nobody living)
        tw[c] = [pct(x) if d else "–" for x, d in zip(tw[c], tw[den])]
    drop = [f"villages_reached_by_{op}" for op in CARRIERS if op not in result.carriers]
    tw = tw.drop(columns=drop)
    s = result.summary()
    total: dict[str, Any] = {c: None for c in tw.columns}
    total.update({
        "township_code": "", "township_name": "全县合计" if lang == "zh" else "County total",
        "villages": s["villages"], "villages_reached": s["villages_reached"],
        "villages_reached_any": s["villages_reached_any"], "villages_unreachable": s["villages_unreachable"],
        "population": s["population"], "population_reached": s["population_reached"],
        "population_reached_any": s["population_reached_any"],
        "reach_rate": pct(s["villages_reached"] / s["villages"]) if s["villages"] else "–",
        "population_reach_rate": pct(s["population_reached"] / s["population"]) if s["population"] else "–",
    })
    fin = v["distance_m"].astype(float)
    fin = fin[np.isfinite(fin)]
    total["mean_distance_m"] = round(float(fin.mean()), 0) if len(fin) else None
    total["worst_distance_m"] = round(float(fin.max()), 0) if len(fin) else None
    for op in result.carriers:
        total[f"villages_reached_by_{op}"] = s["by_operator"][op]["villages_reached"]
    tw = pd.concat([tw, pd.DataFrame([total])], ignore_index=True)

    def localise(df):
        return df.rename(columns={c: column_label(c, lang) for c in df.columns})

    sheets = {("全县汇总" if lang == "zh" else "County summary"): localise(tw)}
    gap_rows = table[~v["reached"].to_numpy()]
    sheets["缺口村" if lang == "zh" else "Gaps"] = localise(gap_rows)
    if result.destinations is not None:   # the cultural destinations: their own sheet, never counted as villages
        sheets["文化目的地" if lang == "zh" else "Destinations"] = destination_sheet(result, lang)
    for (code, name), g in table.groupby(["township_code", "township_name"], sort=True):
        sheets[f"{code} {name}"] = localise(g)
    text_cols = {column_label(c, lang) for c in TEXT_COLUMNS} | {DESTINATION_HEAD["destination_id"][lang == "zh"]}
    return sheets, text_cols


#: the destinations sheet's headers: column → (en, zh)
DESTINATION_HEAD = {
    "destination_id": ("Destination ID", "目的地编号"), "destination_name": ("Destination", "目的地名称"),
    "kind": ("Kind", "类型"), "in_per_week": ("Parcels in a week", "每周收件量"),
    "out_per_week": ("Parcels out a week", "每周寄件量"), "days": ("Receiving days (Mon = 1)", "收货日(周一=1)"),
}


def destination_sheet(result: CoverageResult, lang: str = "en") -> pd.DataFrame:
    """The workbook's destinations sheet: ``destination_reach.csv`` with its kind, flags and operators in
    ``lang``, distances in whole metres (empty when unreachable)."""
    zh = lang == "zh"
    d = result.destinations
    t = result.destination_table()
    yes, no = ("是", "否") if zh else ("yes", "no")
    t["kind"] = [destination_label(k, lang) for k in d["kind"]]
    t["reached"] = np.where(d["reached"], yes, no)
    t["reached_any"] = np.where(d["reached_any"], yes, no)
    t["reached_by"] = [table_operators(x, lang) for x in d["reached_by"]]
    t["nearest_operator"] = [table_operator(x, lang) if x else "" for x in d["nearest_operator"]]
    dist = d["distance_m"].to_numpy(float)
    ok = np.isfinite(dist)
    t["in_per_week"], t["out_per_week"] = d["in_per_week"].to_numpy(float), d["out_per_week"].to_numpy(float)
    t["distance_m"] = [int(round(x)) if f else "" for x, f in zip(dist, ok)]
    t["travel_time_min"] = [round(float(x), 1) if f else "" for x, f in zip(d["travel_time_min"], ok)]
    return t.rename(columns={c: DESTINATION_HEAD[c][zh] if c in DESTINATION_HEAD else column_label(c, lang)
                             for c in t.columns})


# ------------------------------------------------------------------------------------- console
def _rate(num, den) -> str:
    """``num / den`` as ``54.6%`` (the rounding of :mod:`~culture_logistics.reports.numbers`), ``–`` when ``den``
    is 0 (nothing measured: not "0.0%")."""
    return pct_text(num / den).replace(" %", "%") if den else "–"


def summary_lines(report: CoverageReport, lang: str = "en") -> list[str]:
    """A short human summary (3–5 lines) of a coverage report, in ``lang`` (``en``/``zh``)."""
    s = report.summary
    n, pop = s["villages"], s["population"]
    if lang == "zh":
        ops = "、".join(op_label(o, lang) for o in s["carriers"]) or "无（仅共配点）"
        lines = [
            f"{s['county']} {s['county_name']} 覆盖：沿路网 {s['radius_m']:,.0f} 米；运营方：{ops}",
            f"  全部运营方覆盖：{s['villages_reached']:,}/{s['villages']:,} 个村（{_rate(s['villages_reached'], n)}），"
            f"人口 {s['population_reached']:,}/{s['population']:,}（{_rate(s['population_reached'], pop)}）",
            f"  至少一家覆盖：{s['villages_reached_any']:,} 个村；缺口 {s['villages'] - s['villages_reached']:,} 个"
            f"（无覆盖 {s['villages'] - s['villages_reached_any']:,}，路网不可达 {s['villages_unreachable']:,}）",
            "  各运营方覆盖村数（共配点计入每一家）：" + "，".join(
                f"{op_label(op, lang)} {d['villages_reached']:,}" for op, d in s["by_operator"].items()
                if op in s["carriers"]),
        ]
        if s.get("synthetic_data"):
            lines.append("  （合成数据：坐标、人口、设施与道路均为生成数据）")
        return lines
    lines = [
        f"Coverage of {s['county']} {s['county_name']}: radius {s['radius_m']:,.0f} m along the road network; "
        f"carriers present: {', '.join(s['carriers']) or 'none (shared points only)'}",
        f"  reached by every carrier: {s['villages_reached']:,}/{s['villages']:,} villages "
        f"({_rate(s['villages_reached'], n)}), population {s['population_reached']:,}/{s['population']:,} "
        f"({_rate(s['population_reached'], pop)})",
        f"  reached by at least one: {s['villages_reached_any']:,} villages; gaps: "
        f"{s['villages'] - s['villages_reached']:,} (reached by none: {s['villages'] - s['villages_reached_any']:,}, "
        f"not on the road network: {s['villages_unreachable']:,})",
        "  by operator (shared points count for every operator): " + ", ".join(
            f"{op} {d['villages_reached']:,}" for op, d in s["by_operator"].items() if op in s["carriers"]),
    ]
    if s.get("synthetic_data"):
        lines.append("  (synthetic data: coordinates, populations, facilities and roads are generated)")
    return lines


def demo_lines(s: dict, out_dir: Path, seconds: float, map_mb: float, lang: str = "en") -> list[str]:
    """The demo's coverage lines (a coverage summary ``s``) in ``lang``."""
    gaps = s["villages"] - s["villages_reached"]
    rate = _rate(s["villages_reached"], s["villages"])
    if lang == "zh":
        return [f"[coverage] {s['villages_reached']:,}/{s['villages']:,} 个村全部运营方覆盖（{rate}），"
                f"{s['villages_reached_any']:,} 个至少一家覆盖，缺口 {gaps:,} 个（{seconds:.1f} 秒）",
                f"       {out_dir / 'coverage_map.html'}（{map_mb:.1f} MB），village_reach.csv/.xlsx，gaps.csv"]
    return [f"[coverage] {s['villages_reached']:,}/{s['villages']:,} villages reached by every operator "
            f"({rate}), {s['villages_reached_any']:,} by at least one, {gaps:,} gaps ({seconds:.1f} s)",
            f"       {out_dir / 'coverage_map.html'} ({map_mb:.1f} MB), village_reach.csv/.xlsx, gaps.csv"]
