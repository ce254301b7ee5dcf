"""Siting outputs: sites.csv, assignment.csv, gaps_after.csv, summary.json, siting.xlsx, the map.
"""
from __future__ import annotations

from pathlib import Path

from culture_logistics.reports.gis import siting_layers, write_gpkg
from culture_logistics.reports.labels import TEXT_COLUMNS, column_label, kind_label, table_operators
from culture_logistics.reports.maps.base import render_map
from culture_logistics.reports.maps.siting import siting_map
from culture_logistics.reports.workbooks import Sheet, write_xlsx
from culture_logistics.reports.writers import atomic_write_text, write_csv, write_json
from culture_logistics.siting.solve import SitingResult

SHEET_NAMES = {"sites": ("Sites", "选址结果"), "assignment": ("Assignment", "村庄分配"),
               "gaps_after": ("Gaps after", "仍未覆盖")}


def siting_workbook(result: SitingResult, lang: str = "en") -> tuple[dict[str, Sheet], set[str]]:
    """Sheets of ``siting.xlsx``: the chosen sites, the villages each newly serves, the gaps left.

    Headers (and the site kind, operators, yes/no) in ``lang`` (``en`` or ``zh``); codes are text cells;
    coordinates WGS-84 degrees, distances metres, costs CNY.
    """
    zh = lang == "zh"
    s = result.summary()
    sites = result.sites_table().copy()
    sites["kind"] = [kind_label(k, lang) for k in sites["kind"]]
    sites["operator"] = [table_operators(o, lang) for o in sites["operator"]]
    asg = result.assignment_table().copy()
    yes, no = ("是", "否") if zh else ("yes", "no")
    asg["newly_reached"] = [yes if v == "true" else no for v in asg["newly_reached"]]
    gaps = result.gaps_after.copy()
    if "missing_operators" in gaps:
        gaps["missing_operators"] = [table_operators(str(o), lang) for o in gaps["missing_operators"]]
    county = f"{result.scenario.name} ({result.scenario.adcode})"
    model = s["model"].upper() + (f", K={s['k']}" if s["k"] is not None else "")
    title = (f"{county} 共享服务点选址 {model}" if zh else f"{county} shared service points, {model}")
    info = [("模型" if zh else "Model", model),
            ("站点数" if zh else "Sites", s["sites"]),
            ("费用(元)" if zh else "Cost (CNY)", s["total_cost"]),
            ("选址前全覆盖村数" if zh else "Villages reached before", s["before"]["villages_reached"]),
            ("选址后全覆盖村数" if zh else "Villages reached after", s["after"]["villages_reached"]),
            ("全部村数" if zh else "Villages", s["before"]["villages"])]
    name = {k: v[1 if zh else 0] for k, v in SHEET_NAMES.items()}

    def localise(df):
        return df.rename(columns={c: column_label(c, lang) for c in df.columns})

    sheets = {name["sites"]: Sheet(localise(sites), title=title, info=info),
              name["assignment"]: Sheet(localise(asg), title=title),
              name["gaps_after"]: Sheet(localise(gaps), title=title)}
    return sheets, {column_label(c, lang) for c in TEXT_COLUMNS}


def write_siting(result: SitingResult, out_dir: str | Path, map_html: bool = True,
                 lang: str = "en") -> dict[str, Path]:
    """Write sites.csv, assignment.csv, gaps_after.csv, summary.json, siting.xlsx (headers in ``lang``),
    siting_map.html and siting.gpkg into ``out_dir``; ``lang`` (``"en"``/``"zh"``) of the workbook and map.

    Everything (tables, summary, the rendered page) is computed first; then each file is written
    atomically with :mod:`culture_logistics.reports.writers`, so a failure leaves no half-written file.
    """

    out_dir = Path(out_dir)
    sites = result.sites_table()
    asg = result.assignment_table()
    gaps = result.gaps_after
    summary = result.summary()
    sheets, text_cols = siting_workbook(result, lang)
    page = render_map(siting_map(result, lang=lang)) if map_html else None
    gis = siting_layers(result)
    paths = {
        "sites": write_csv(sites, out_dir / "sites.csv"),
        "assignment": write_csv(asg, out_dir / "assignment.csv"),
        "gaps_after": write_csv(gaps, out_dir / "gaps_after.csv"),
        "summary": write_json(summary, out_dir / "summary.json"),
        "workbook": write_xlsx(sheets, out_dir / "siting.xlsx", text_columns=text_cols),
    }
    if page is not None:
        paths["map"] = atomic_write_text(out_dir / "siting_map.html", page)
    paths["gpkg"] = write_gpkg(gis, out_dir / "siting.gpkg")
    return paths


def demo_lines(a: dict, b: dict, gaps: int, k: int, out_dir: Path, seconds: float, lang: str = "en") -> list[str]:
    """The demo's siting lines (MCLP summary ``a``, LSCP summary ``b``) in ``lang``."""
    if lang == "zh":
        def proof(s):
            return "已证明最优" if s["optimal"] else f"距下界 {100 * s['gap']:.2f}%"
        return [f"[siting] 缺口村 {gaps} 个；MCLP 最多 {k} 个站点：覆盖村数 {a['before']['villages_reached']} → "
                f"{a['after']['villages_reached']}，新增覆盖人口 {int(a['objective']):,}（{proof(a)}，"
                f"{a['solve_seconds']:.2f} 秒）",
                f"         LSCP：{b['sites']} 个站点（改造 {b['sites_existing']}，新建 {b['sites_new']}，"
                f"{b['total_cost']:,.0f} 元）覆盖所有可达缺口村（{proof(b)}）；"
                f"{b['gap_villages_no_candidate']} 个村无候选点可达",
                f"         输出在 {out_dir / 'siting'}（{seconds:.1f} 秒）"]
    return [f"[siting] {gaps} gap villages; MCLP K={k}: {a['before']['villages_reached']} → "
            f"{a['after']['villages_reached']} villages reached, +{int(a['objective']):,} people "
            f"({'optimal' if a['optimal'] else 'gap %.2f%%' % (100 * a['gap'])}, {a['solve_seconds']:.2f} s)",
            f"         LSCP: {b['sites']} sites ({b['sites_existing']} converted, {b['sites_new']} new, "
            f"{b['total_cost']:,.0f} CNY) reach every reachable gap village "
            f"({'optimal' if b['optimal'] else 'gap %.2f%%' % (100 * b['gap'])}); "
            f"{b['gap_villages_no_candidate']} villages no candidate can reach",
            f"         outputs in {out_dir / 'siting'} ({seconds:.1f} s)"]
