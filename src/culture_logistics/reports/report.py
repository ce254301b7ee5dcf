"""The county report: one page (two A4 sheets in print) for a county official, built from the stages' outputs.

How the figures are obtained (so that every one equals the stage's ``summary.json``)
-----------------------------------------------------------------------------------
The report never recomputes a figure.  It reads the files the stages wrote into the output folder,
in the layout ``culture-logistics demo`` writes::

    DIR/summary.json, DIR/township_reach.csv      coverage
    DIR/siting/summary.json, DIR/siting/sites.csv siting (MCLP, at most [siting] k sites, default 5)
    DIR/siting_lscp/summary.json                  siting (LSCP: the fewest sites reaching every gap village)
    DIR/routing/summary.json                      routing compare (shared against separate)

:func:`culture_logistics.app.report.ensure_stages` first runs each stage whose ``summary.json`` is missing or
belongs to another county (the same calls as ``demo``), so ``culture-logistics report SCENARIO --out DIR`` works
on an empty folder and reuses what ``demo`` / the stage commands already wrote.  ``--rerun`` recomputes all;
this module only reads the summaries and writes the report.

Files: ``report.html`` (self-contained: inline CSS and SVG, no JavaScript, works offline; a print
stylesheet with ``@page { size: A4 }``) and ``report.pdf`` printed from it by headless Chromium
(``--print-to-pdf``) when ``chromium`` is on PATH; the report says so when it is not.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from culture_logistics.config.model import OPERATOR_ZH
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.progress import Progress, emit
from culture_logistics.reports import charts
from culture_logistics.reports.kpis import kpi_section
from culture_logistics.reports.labels import kind_label, text
from culture_logistics.reports.writers import atomic_write_bytes, atomic_write_text

STAGE_FILES = {
    "coverage": "summary.json",
    "siting": "siting/summary.json",
    "siting_lscp": "siting_lscp/summary.json",
    "routing": "routing/summary.json",
}

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

SITES_SHOWN = 12   # rows of the sites table in the report (all are in sites.csv / siting.xlsx)


@dataclass
class CountyReport:
    """The written report: where it is, what it says, and whether a PDF was printed."""

    html_path: Path
    pdf_path: Path | None
    pdf_pages: int | None
    pdf_note: str
    figures: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"html": str(self.html_path), "pdf": str(self.pdf_path) if self.pdf_path else None,
                "pdf_pages": self.pdf_pages, "pdf_note": self.pdf_note}


# ----------------------------------------------------------------------------------------- reading
def _county_of(summary: dict) -> str | None:
    c = summary.get("county")
    return str(c.get("adcode")) if isinstance(c, dict) else (str(c) if c is not None else None)


def read_stage_summaries(out_dir: str | Path) -> dict[str, dict]:
    """{stage: summary dict} for each stage's ``summary.json`` present in ``out_dir`` (see :data:`STAGE_FILES`)."""
    out = {}
    for stage, rel in STAGE_FILES.items():
        p = Path(out_dir) / rel
        if p.is_file():
            try:
                out[stage] = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CultureLogisticsError(f"{p}: not a readable summary.json ({exc}); delete it or run with "
                                            "--rerun") from exc
    return out


def _read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def county_stages(out_dir: str | Path, adcode: str) -> dict[str, dict]:
    """{stage: summary dict} of the stages in ``out_dir`` (:func:`read_stage_summaries`) that are of county
    ``adcode``; a summary of another county (a reused folder) is left out."""
    return {k: v for k, v in read_stage_summaries(out_dir).items() if _county_of(v) == adcode}


# ----------------------------------------------------------------------------------------- formatting
def _n(v) -> str:
    return f"{int(v):,}" if v is not None else "–"


def _pct(num, den) -> float:
    return round(100.0 * num / den, 1) if den else 0.0


def _f(v, nd: int = 1) -> str:
    return "–" if v is None else f"{float(v):,.{nd}f}"


def _op_name(op: str, lang: str) -> str:
    return OPERATOR_ZH.get(op, op) if lang == "zh" else {"postal": "China Post", "supply_coop": "supply co-op",
                                                          "courier": "couriers", "shared": "shared"}.get(op, op)


def _report_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch.isdigit() else _dt.datetime.now(_dt.UTC))
    return when.date().isoformat()


# ----------------------------------------------------------------------------------------- sections
def _reach_section(cov: dict, lang: str) -> tuple[str, dict]:
    """Villages and population reached: by every operator, by any, by each; against 100 %."""
    nv, npop = cov["villages"], cov["population"]
    rows = [(text("reached", lang), cov["villages_reached"], cov["population_reached"], "reached"),
            (text("reached_any", lang), cov["villages_reached_any"], cov["population_reached_any"], "reached_any")]
    for op in cov.get("carriers", []):
        d = cov["by_operator"][op]
        rows.append((text("reached_by", lang, op=_op_name(op, lang)), d["villages_reached"], d["population_reached"],
                     f"by_operator.{op}"))
    body = []
    figures = {}
    for label, v, p, key in rows:
        pv, pp = _pct(v, nv), _pct(p, npop)
        figures[key] = {"villages": v, "population": p, "villages_pct": pv, "population_pct": pp}
        body.append(f'<tr data-key="{escape(key)}"><th scope="row">{escape(label)}</th>'
                    f'<td class="num" data-v="{v}">{_n(v)} / {_n(nv)}</td><td class="num bar">{pv:.1f} % '
                    f'{charts.percent_bar(pv, width=110)}</td>'
                    f'<td class="num" data-p="{p}">{_n(p)} / {_n(npop)}</td><td class="num bar">{pp:.1f} % '
                    f'{charts.percent_bar(pp, width=110)}</td></tr>')
    head = (f'<tr><th>{escape(text("measure", lang))}</th><th colspan="2">{escape(text("villages", lang))}</th>'
            f'<th colspan="2">{escape(text("population", lang))}</th></tr>')
    reached = cov["villages_reached"]
    kpi = (f'<div class="kpis"><div class="kpi"><b>{_pct(reached, nv):.1f} %</b>'
           f'<span>{escape(text("reached", lang))}: {_n(reached)} / {_n(nv)} {escape(text("villages", lang))}</span></div>'
           f'<div class="kpi"><b>{_pct(cov["population_reached"], npop):.1f} %</b><span>{escape(text("population", lang))}'
           f': {_n(cov["population_reached"])} / {_n(npop)}</span></div>'
           f'<div class="kpi target"><b>100 %</b><span>{escape(text("target", lang))}</span></div></div>')
    radius = f"{cov['radius_m']:,.0f}"
    note = f'<p class="note">{escape(text("reach_note", lang, radius=radius))}</p>'
    html = (f'<section id="reach"><h2>{escape(text("h_reach", lang))}</h2>{kpi}'
            f'<table class="t reach">{head}{"".join(body)}</table>{note}</section>')
    return html, figures


def _gaps_section(townships: list[dict], lang: str) -> tuple[str, dict]:
    """Per township: villages reached by every operator / by some / by none, as one stacked bar."""
    rows, figures = [], {}
    for t in townships:
        n, r, a = int(t["villages"]), int(t["villages_reached"]), int(t["villages_reached_any"])
        gap = n - r
        figures[t["township_code"]] = {"name": t["township_name"], "villages": n, "gaps": gap}
        rows.append((gap, t["township_name"], [r, a - r, n - a],
                     f"{gap} {text('gap_villages', lang)} · {_pct(r, n):.1f} %"))
    rows.sort(key=lambda x: (-x[0], x[1]))
    legend = [(charts.GREEN, text("reached", lang)), (charts.AMBER, text("reached_any", lang) + " *"),
              (charts.RED, "无覆盖" if lang == "zh" else "reached by none")]
    legend[1] = (charts.AMBER, "部分运营方覆盖" if lang == "zh" else "some operators only")
    svg = charts.stacked_bars([(name, parts, note) for _, name, parts, note in rows], legend,
                              text("gaps_chart", lang), bar_h=12 if len(rows) <= 32 else 8,
                              gap=4 if len(rows) <= 20 else (3 if len(rows) <= 32 else 2))
    total_gaps = sum(g for g, *_ in rows)
    extra = "" if total_gaps else f'<p>{escape(text("gaps_none", lang))}</p>'
    html = (f'<section id="gaps"><h2>{escape(text("h_gaps", lang))}</h2>'
            f'<figure><figcaption>{escape(text("gaps_chart", lang))}</figcaption>{svg}</figure>{extra}</section>')
    return html, figures


def _siting_section(site: dict | None, sites: list[dict], lscp: dict | None, lang: str) -> tuple[str, dict]:
    h = f'<section id="siting"><h2>{escape(text("h_siting", lang))}</h2>'
    if not site:
        return h + f'<p>{escape(text("siting_none", lang))}</p></section>', {}
    proof = text("optimal", lang) if site.get("optimal") else text("not_optimal", lang,
                                                                   gap=f"{100 * (site.get('gap') or 0):.3f}")
    k = f", K = {site['k']}" if site.get("k") is not None else ""
    a, b = site["after"], site["before"]
    newly_v = int(a["villages_reached"]) - int(b["villages_reached"])
    newly_p = int(a["population_reached"]) - int(b["population_reached"])
    figures = {"sites_existing": site["sites_existing"], "sites_new": site["sites_new"],
               "villages_newly_reached": newly_v, "population_newly_reached": newly_p,
               "total_cost": site["total_cost"], "villages_reached_after": a["villages_reached"]}
    cells = [(text("sites_convert", lang), _n(site["sites_existing"]), "sites_existing"),
             (text("sites_new", lang), _n(site["sites_new"]), "sites_new"),
             (text("newly_villages", lang), _n(newly_v), "villages_newly_reached"),
             (text("newly_people", lang), _n(newly_p), "population_newly_reached"),
             (text("siting_cost", lang), f"{site['total_cost']:,.0f} {'元' if lang == 'zh' else 'CNY'}", "total_cost"),
             (text("after", lang), f"{_n(a['villages_reached'])} / {_n(a['villages'])} "
                                   f"({_pct(a['villages_reached'], a['villages']):.1f} %)", "villages_reached_after")]
    kv = "".join(f'<div class="kv" data-key="{key}"><span>{escape(label)}</span><b>{escape(v)}</b></div>'
                 for label, v, key in cells)
    rows = []
    for s in sites[:SITES_SHOWN]:
        rows.append(f'<tr><td>{escape(s["name"])}</td><td>{escape(kind_label(s["kind"], lang))}</td>'
                    f'<td class="num">{_n(s["villages_newly_reached"])}</td>'
                    f'<td class="num">{_n(s["population_newly_reached"])}</td>'
                    f'<td class="num">{float(s["cost"]):,.0f}</td></tr>')
    more = (f'<p class="note">{escape(text("sites_more", lang, n=len(sites) - SITES_SHOWN))}</p>'
            if len(sites) > SITES_SHOWN else "")
    table = (f'<table class="t sites"><tr><th>{escape(text("site", lang))}</th><th>{escape(text("kind", lang))}</th>'
             f'<th>{escape(text("newly_villages", lang))}</th><th>{escape(text("newly_people", lang))}</th>'
             f'<th>{escape(text("siting_cost", lang))}</th></tr>{"".join(rows)}</table>{more}') if rows else ""
    lscp_line = ""
    if lscp:
        lscp_line = ('<p class="note" data-key="lscp">' + escape(
            f"LSCP：{lscp['sites']} 个站点（改造 {lscp['sites_existing']}，新建 {lscp['sites_new']}，"
            f"{lscp['total_cost']:,.0f} 元）可覆盖所有可达缺口村" if lang == "zh" else
            f"LSCP: {lscp['sites']} sites ({lscp['sites_existing']} converted, {lscp['sites_new']} new, "
            f"{lscp['total_cost']:,.0f} CNY) reach every gap village any candidate can reach") + "</p>")
        figures["lscp_sites"] = lscp["sites"]
    model = text("siting_model", lang, model=str(site["model"]).upper(), k=k, proof=proof)
    return (h + f'<p>{escape(model)}</p><div class="kvs">{kv}</div>{table}{lscp_line}</section>'), figures


def _comparison(routing: dict) -> dict[str, dict]:
    return {r["metric"]: r for r in routing.get("comparison", []) if isinstance(r, dict) and "metric" in r}


def _visits(routing: dict, mode: str):
    """A plan's village visits per week where its own summary (or a comparison row) gives them; the
    compare summary's county-wide ``visits_per_week`` dict is shown on its own line (:func:`_visits_line`)."""
    for key in ("visits_per_week", "village_visits_per_week"):
        v = (routing.get(mode) or {}).get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
        if isinstance(v, dict) and isinstance(v.get("visits"), (int, float)):
            return v["visits"]
    row = _comparison(routing).get("visits_per_week")
    return row[mode] if row else None


#: the parts of ``saving_split`` (routing/compare.py), in the order they are shown
SPLIT_PARTS = {"fixed_cost": ("fewer vehicles (fixed cost)", "车辆减少（固定成本）"),
               "distance": ("fewer kilometres (distance cost)", "里程减少（里程成本）"),
               "duplicated_visits": ("no duplicated village visits", "消除重复到村"),
               "total": ("total saving", "合计节省")}


def _saving_parts(routing: dict, lang: str) -> list[dict]:
    """The saving split into its parts, each {key, label, cny_per_day, pct_of_saving}.

    From the compare summary's ``saving_split`` (fixed cost, distance, duplicated visits — they add up to
    ``total``); a summary without one: vehicle fixed costs and distance costs from the comparison rows."""
    split = routing.get("saving_split")
    parts = []
    if isinstance(split, dict):
        for key, (en, zh) in SPLIT_PARTS.items():
            v = split.get(key)
            if isinstance(v, dict) and isinstance(v.get("cny_per_day"), (int, float)):
                label = zh if lang == "zh" else en
                if key == "duplicated_visits" and isinstance(v.get("visits_removed"), int):
                    label += (f"（每天少到村 {v['visits_removed']} 次）" if lang == "zh"
                              else f" ({v['visits_removed']:,} visits/day fewer)")
                parts.append({"key": key, "label": label, "cny_per_day": float(v["cny_per_day"]),
                              "pct_of_saving": v.get("pct_of_saving")})
        if parts:
            return parts
    cmp = _comparison(routing)
    for metric, key in (("cost_vehicles", "fixed_cost"), ("cost_distance", "distance")):
        if metric in cmp:
            en, zh = SPLIT_PARTS[key]
            parts.append({"key": key, "label": zh if lang == "zh" else en, "pct_of_saving": None,
                          "cny_per_day": float(cmp[metric]["separate"]) - float(cmp[metric]["shared"])})
    return parts


def _visits_line(routing: dict, lang: str) -> tuple[str, dict]:
    """The compare summary's ``visits_per_week`` ({villages, visits, mean, villages_by_visits, rule}) as a line."""
    v = routing.get("visits_per_week")
    if not isinstance(v, dict) or not all(isinstance(v.get(k), (int, float)) for k in ("villages", "visits", "mean")):
        return "", {}
    by = v.get("villages_by_visits") if isinstance(v.get("villages_by_visits"), dict) else {}
    by_items = sorted(by.items(), key=lambda kv: float(kv[0]))
    if lang == "zh":
        dist = "；".join(f"{k} 次：{int(n):,} 村" for k, n in by_items)
        words = (f"每周到村：{int(v['villages']):,} 个村共 {int(v['visits']):,} 次，平均每村 {v['mean']:,.2f} 次"
                 + (f"（{dist}）" if dist else ""))
    else:
        dist = "; ".join(f"{k}×: {int(n):,} villages" for k, n in by_items)
        words = (f"Village visits per week: {int(v['visits']):,} visits to {int(v['villages']):,} villages, "
                 f"{v['mean']:,.2f} a village on average" + (f" ({dist})" if dist else ""))
    html = f'<p class="note" data-key="weekly_visits">{escape(words)}</p>'
    return html, {k: v[k] for k in ("villages", "visits", "mean")} | {"villages_by_visits": dict(by)}


def _postal_courier_line(routing: dict, lang: str) -> tuple[str, dict]:
    """Shared against the 邮快合作 baseline (couriers hand their parcels to China Post), when planned."""
    pc = routing.get("postal_courier")
    if not isinstance(pc, dict) or not isinstance(pc.get("cost_cny"), (int, float)):
        return "", {}
    pct = routing.get("saving_vs_postal_courier_pct")
    cost = f"{pc['cost_cny']:,.2f}"
    if lang == "zh":
        words = f"对比邮快合作（快递交邮政站转投）：{cost} 元/天" + ("" if pct is None else f"，共同配送节省 {pct:.1f}%")
    else:
        words = (f"Against 邮快合作 (couriers hand their parcels to China Post): {cost} CNY/day"
                 + ("" if pct is None else f"; shared saves {pct:.1f} %"))
    unserved = pc.get("unserved_stops")
    if isinstance(unserved, int) and unserved:
        words += (f"（未服务 {unserved} 个站点）" if lang == "zh" else f" ({unserved} stops not served)")
    return (f'<p class="note" data-key="postal_courier">{escape(words)}</p>',
            {"cost_cny": pc["cost_cny"], "saving_pct": pct})


def _cost_sharing_table(routing: dict, lang: str) -> tuple[str, dict]:
    """The compare summary's ``cost_sharing``: each operator's Shapley share of the shared plan's cost."""
    cs = routing.get("cost_sharing")
    ops = cs.get("operators") if isinstance(cs, dict) else None
    if not isinstance(ops, list) or not ops:
        return "", {}
    zh = lang == "zh"
    head = (("运营方", "件/天", "单独配送(元/天)", "Shapley 分摊(元/天)", "按件分摊(元/天)", "较单独节省") if zh else
            ("Operator", "Parcels/day", "Alone (CNY/day)", "Shapley share (CNY/day)", "By parcels (CNY/day)",
             "Saving vs alone"))
    rows, figures = [], {}
    for o in ops:
        op = str(o.get("operator"))
        figures[op] = {k: o.get(k) for k in ("parcels", "standalone_cost", "shapley_share", "proportional_share",
                                             "saving_vs_standalone_pct", "in_core")}
        pct = o.get("saving_vs_standalone_pct")
        rows.append(f'<tr data-key="cost_sharing.{escape(op)}"><th scope="row">{escape(_op_name(op, lang))}</th>'
                    f'<td class="num">{_n(o.get("parcels"))}</td><td class="num">{_f(o.get("standalone_cost"), 2)}</td>'
                    f'<td class="num">{_f(o.get("shapley_share"), 2)}</td>'
                    f'<td class="num">{_f(o.get("proportional_share"), 2)}</td>'
                    f'<td class="num">{"–" if pct is None else format(pct, ".1f") + " %"}</td></tr>')
    cap = "共同配送成本分摊（Shapley 值）" if zh else "Sharing the shared plan's cost (Shapley value)"
    table = (f'<table class="t sharing"><caption>{escape(cap)}</caption><tr>'
             + "".join(f"<th>{escape(h)}</th>" for h in head) + f'</tr>{"".join(rows)}</table>')
    notes = []
    if isinstance(cs.get("grand_coalition_cost_cny"), (int, float)):
        notes.append(f"合计 {cs['grand_coalition_cost_cny']:,.2f} 元/天" if zh
                     else f"total {cs['grand_coalition_cost_cny']:,.2f} CNY/day")
    if "in_core" in cs:
        notes.append(("Shapley 分摊在核心内（任何运营方组合单独配送都不更省）" if cs["in_core"] else
                      "Shapley 分摊不在核心内（见 routing/cost_sharing.csv）") if zh else
                     ("the Shapley shares are in the core (no group of operators does better alone)" if cs["in_core"]
                      else "the Shapley shares are not in the core (see routing/cost_sharing.csv)"))
    if any(isinstance(c, dict) and c.get("unserved_stops") for c in cs.get("coalitions", [])):
        notes.append("部分组合的方案有未服务站点，成本口径不完全一致" if zh else
                     "some coalitions' plans leave stops unserved: their costs are not like for like")
    note = (f'<p class="note" data-key="cost_sharing">{escape("；".join(notes) if zh else "; ".join(notes))}</p>'
            if notes else "")
    return table + note, {"operators": figures, "grand_coalition_cost_cny": cs.get("grand_coalition_cost_cny"),
                          "in_core": cs.get("in_core")}


def _routing_section(routing: dict | None, lang: str) -> tuple[str, dict]:
    h = f'<section id="routing"><h2>{escape(text("h_routes", lang))}</h2>'
    if not routing or "shared" not in routing or "separate" not in routing:
        return h + f'<p>{escape(text("routing_none", lang))}</p></section>', {}
    a, b = routing["separate"], routing["shared"]
    cmp = _comparison(routing)
    rows = [("vehicles", text("vehicles_day", lang), a["vehicles"], b["vehicles"], 0),
            ("distance", text("km_day", lang), a["distance_km"], b["distance_km"], 1),
            ("cost", text("cny_day", lang), a["cost_cny"], b["cost_cny"], 2),
            ("cost_per_parcel", text("cny_parcel", lang), a["cost_per_parcel_cny"], b["cost_per_parcel_cny"], 3)]
    va, vb = _visits(routing, "separate"), _visits(routing, "shared")
    if va is not None or vb is not None:
        rows.append(("visits_per_week", text("visits_week", lang), va, vb, 1))
    rows.append(("unserved_stops", text("unserved", lang), a["unserved_stops"], b["unserved_stops"], 0))
    body, figures = [], {}
    for metric, label, sep, sh, nd in rows:
        pct = cmp.get(metric, {}).get("saving_pct")
        figures[metric] = {"separate": sep, "shared": sh, "saving_pct": pct}
        fmt = _n if nd == 0 else (lambda v, nd=nd: _f(v, nd))  # type: ignore[misc]
        body.append(f'<tr data-key="{metric}"><th scope="row">{escape(label)}</th>'
                    f'<td class="num">{fmt(sep)}</td><td class="num">{fmt(sh)}</td>'
                    f'<td class="num">{"–" if pct is None else format(pct, ".1f") + " %"}</td></tr>')
    table = (f'<table class="t routes"><tr><th></th><th>{escape(text("separate", lang))}</th>'
             f'<th>{escape(text("shared", lang))}</th><th>{escape(text("saving", lang))}</th></tr>{"".join(body)}</table>')
    line = ""
    if routing.get("saving_pct") is not None:
        line = ('<p class="lead" data-key="saving_pct">' + escape(text(
            "saving_line", lang, pct=f"{routing['saving_pct']:.1f}", a=f"{a['cost_cny']:,.0f}", b=f"{b['cost_cny']:,.0f}"))
            + "</p>")
    if not routing.get("like_for_like", True):
        line += f'<p class="note">{escape(text("not_like_for_like", lang, note=routing.get("note", "")))}</p>'
    pc_line, figures["postal_courier"] = _postal_courier_line(routing, lang)
    visits_line, figures["weekly_visits"] = _visits_line(routing, lang)
    parts = _saving_parts(routing, lang)
    figures["saving_split"] = {p["key"]: {"cny_per_day": p["cny_per_day"], "pct_of_saving": p["pct_of_saving"]}
                               for p in parts}
    parts_html = ""
    if parts:
        unit = "元/天" if lang == "zh" else "CNY/day"
        items = "".join(
            f'<p class="part{" total" if p["key"] == "total" else ""}" data-key="saving_split.{p["key"]}">'
            f'{escape(p["label"])}: <b>{p["cny_per_day"]:,.2f}</b> {unit}'
            + ("" if p["pct_of_saving"] is None else f' ({p["pct_of_saving"]:.1f} %)') + "</p>" for p in parts)
        parts_html = f'<div class="parts"><b>{escape(text("saving_parts", lang))}</b>{items}</div>'
    sharing, figures["cost_sharing"] = _cost_sharing_table(routing, lang)
    chart = charts.paired_bars(
        [(text("cny_day", lang), float(a["cost_cny"]), float(b["cost_cny"])),
         (text("km_day", lang), float(a["distance_km"]), float(b["distance_km"]))],
        (text("separate", lang), text("shared", lang)), text("cost_chart", lang), bar_h=13)
    return (h + f'<div class="two"><div>{table}{line}{pc_line}{visits_line}</div><div>{parts_html}</div></div>'
            f'{sharing}<figure class="cost"><figcaption>{escape(text("cost_chart", lang))}</figcaption>{chart}</figure>'
            '</section>'), figures


def _sources_section(scn: Scenario, out_dir: Path, lang: str, date: str, pdf_note: str) -> str:
    inputs = scn.section("inputs")
    data = scn.section("data")
    items = []
    kind = text("src_synthetic", lang) if scn.synthetic else text("src_user", lang)
    items.append(f"<li><b>{escape(text('src_data', lang))}</b>: {escape(kind)}</li>")
    roads = str(inputs.get("roads", ""))
    if roads.lower().endswith((".osm", ".pbf", ".osm.pbf", ".graphml")) or data.get("roads_source") == "osm" \
            or "openstreetmap" in str(data.get("note", "")).lower():
        items.append(f"<li>{escape(text('src_osm', lang))}</li>")
    items.append(f"<li>{escape(text('src_divisions', lang))}</li>")
    files = ", ".join(f"{k} = {v}" for k, v in inputs.items())
    if files:
        items.append(f"<li><b>{escape(text('src_files', lang))}</b>: {escape(files)}</li>")
    items.append(f"<li><b>{escape(text('src_boundary', lang))}</b>: {escape(str(scn.boundary_source))}</li>")
    if scn.data_note:
        items.append(f"<li><b>{escape(text('src_note', lang))}</b>: {escape(scn.data_note)}</li>")
    links = []
    for rel, label in (("coverage_map.html", "覆盖地图 coverage map"), ("siting/siting_map.html", "选址地图 siting map"),
                       ("routing/shared/routes_map.html", "共同配送线路图 shared routes map")):
        if (out_dir / rel).is_file():
            links.append(f'<a href="{escape(rel)}">{escape(label)}</a>')
    books = []
    for rel in ("village_reach.xlsx", "siting/siting.xlsx", "routing/shared/route_sheets.xlsx",
                "routing/separate/route_sheets.xlsx", "routing/comparison.csv"):
        if (out_dir / rel).is_file():
            books.append(f'<a href="{escape(rel)}">{escape(rel)}</a>')
    sums = [f'<a href="{escape(rel)}">{escape(rel)}</a>' for rel in STAGE_FILES.values() if (out_dir / rel).is_file()]
    items.append(f"<li><b>{escape(text('maps', lang))}</b>: {' · '.join(links) or '–'}</li>")
    items.append(f"<li><b>{escape(text('workbooks', lang))}</b>: {' · '.join(books) or '–'}</li>")
    items.append(f"<li>{escape(text('figures_from', lang))} {' · '.join(sums)}</li>")
    items.append(f"<li><b>{escape(text('generated', lang))}</b>: {escape(date)}"
                 f"{' · ' + escape(pdf_note) if pdf_note else ''}</li>")
    return f'<section id="sources"><h2>{escape(text("h_sources", lang))}</h2><ul class="src">{"".join(items)}</ul></section>'


CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;
 margin:0 auto;max-width:960px;padding:12px;color:#212121;font-size:14px;line-height:1.4}
h1{font-size:22px;margin:0 0 2px}h2{font-size:16px;margin:14px 0 6px;border-bottom:2px solid #1565c0;padding-bottom:2px}
.sub{color:#555;margin:0 0 6px}.banner{background:#fff3e0;border:1px solid #f9a825;padding:4px 8px;margin:6px 0;
 font-size:12px}
.kpis{display:flex;gap:8px;flex-wrap:wrap;margin:4px 0 8px}.kpi{flex:1 1 180px;border:1px solid #bdbdbd;
 border-radius:4px;padding:6px 8px}.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#424242}
.kpi.target{background:#e8f5e9}
table.t{border-collapse:collapse;width:100%;margin:4px 0;font-size:12.5px}.t th,.t td{border:1px solid #ccc;padding:2px 5px;
 text-align:left;vertical-align:middle}.t th{background:#f5f5f5}.num{text-align:right;white-space:nowrap}
.note{font-size:11.5px;color:#555;margin:3px 0}.lead{font-weight:bold;margin:4px 0}
.kvs{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:6px;margin:4px 0}
.kv{border:1px solid #bdbdbd;border-radius:4px;padding:4px 6px}.kv span{display:block;font-size:11.5px;color:#424242}
.kv b{font-size:16px}
.two{display:flex;gap:12px;flex-wrap:wrap}.two>div:first-child{flex:2 1 320px}.two>div{flex:1 1 200px}figure.cost{max-width:640px}.parts p{margin:2px 0 2px 10px}.parts p.total{border-top:1px solid #ccc;padding-top:2px}
.t caption{text-align:left;font-weight:bold;padding:2px 0}
figure{margin:0}figcaption{font-size:12px;color:#424242}
svg.chart{max-width:100%;height:auto;font-size:11px}svg .lb,svg .nt,svg .lg{font-size:11px;fill:#212121}
svg.pbar{vertical-align:middle;max-width:100%;margin-left:4px}
.src{font-size:11.5px;padding-left:18px;margin:2px 0}.src li{margin:1px 0;word-break:break-all}
a{color:#1565c0}
@media (max-width:600px){.t{font-size:11px}.t.reach svg.pbar{display:none}
 .t.reach th[scope=row]{min-width:6em}.t .num{white-space:normal}.t th,.t td{padding:2px 3px}h1{font-size:18px}.kpi b{font-size:18px}}
@page{size:A4;margin:11mm 10mm}
@media print{html,body{width:auto;max-width:188mm}body{padding:0;font-size:10.5px}h1{font-size:17px}h2{font-size:12.5px;margin:7px 0 3px;
 break-after:avoid}.kpi b{font-size:16px}.kpi{padding:3px 6px}table.t{font-size:9.5px}.t th,.t td{padding:1px 4px}
 #siting{break-before:page}section{break-inside:avoid-page}a{color:#212121;text-decoration:none}
 .note,.src{font-size:9px}.kv b{font-size:12.5px}.kv span{font-size:9px}svg .lb,svg .nt,svg .lg{font-size:10px}}
"""


def build_report_html(scn: Scenario, stages: dict[str, dict], townships: list[dict], sites: list[dict],
                      out_dir: Path, lang: str = "zh", date: str | None = None, pdf_note: str = "",
                      kpis: list[dict] | None = None) -> tuple[str, dict]:
    """The report page and the figures it shows ({section: {figure: value}}), from the stage summaries.

    Parameters
    ----------
    stages : {stage: summary dict} as :func:`read_stage_summaries` returns (``coverage`` required).
    townships : rows of ``township_reach.csv``; sites : rows of ``siting/sites.csv``.
    lang : ``zh`` (default) or ``en``.
    kpis : the official indicators' rows (:meth:`culture_logistics.kpis.indicators.KpiTable.summary`), shown as
        the first section; None: no such section.
    """
    if lang not in ("zh", "en"):
        raise CultureLogisticsError(f"unknown language {lang!r}; choose zh or en")
    if "coverage" not in stages:
        raise CultureLogisticsError(f"{out_dir / STAGE_FILES['coverage']}: no coverage summary to report; "
                                    "run `culture-logistics coverage` (or `report` without a stale folder)")
    cov = stages["coverage"]
    date = date or _report_date()
    kpi_html = kpi_section(kpis, lang) if kpis else ""
    reach, f_reach = _reach_section(cov, lang)
    gaps, f_gaps = _gaps_section(townships, lang)
    siting, f_site = _siting_section(stages.get("siting"), sites, stages.get("siting_lscp"), lang)
    routing, f_route = _routing_section(stages.get("routing"), lang)
    sources = _sources_section(scn, out_dir, lang, date, pdf_note)
    county = f"{scn.name}"
    title = text("title", lang, county=county)
    banner = f'<p class="banner">{escape(text("synthetic_banner", lang))}</p>' if scn.synthetic else ""
    sub = text("subtitle", lang, adcode=scn.adcode, radius=f"{cov['radius_m']:,.0f}", date=date)
    html = (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><style>{CSS}</style></head><body>'
            f'<header><h1>{escape(title)}</h1><p class="sub">{escape(sub)}</p>'
            f'<p class="sub"><b>{escape(text("target", lang))}</b></p>{banner}</header>'
            f'<main>{kpi_html}{reach}{gaps}{siting}{routing}{sources}</main></body></html>')
    figures = {"coverage": f_reach, "townships": f_gaps, "siting": f_site, "routing": f_route}
    if kpis:
        figures["kpis"] = {r["code"]: r["value"] for r in kpis}
    return html, figures


# ----------------------------------------------------------------------------------------- PDF
def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        p = shutil.which(name)
        if p:
            return p
    return None


def count_pdf_pages(data: bytes) -> int:
    """Pages in a PDF: its ``/Type /Page`` objects (not ``/Pages``); Chromium writes them uncompressed."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def print_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120.0) -> tuple[int | None, str]:
    """Print ``html_path`` to ``pdf_path`` (A4, from the page's @page rule) with headless Chromium.

    Returns (pages, note); (None, why) when Chromium is not on PATH or fails — the PDF is optional.
    The PDF is written atomically.
    """
    exe = find_chromium()
    if exe is None:
        return None, "report.pdf not written: Chromium is not on PATH (install chromium, or print report.html)"
    with tempfile.TemporaryDirectory(prefix="cl-pdf-") as tmp:
        out = Path(tmp) / "report.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={out}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"report.pdf not written: Chromium failed ({type(exc).__name__})"
        if not out.is_file() or out.stat().st_size == 0:
            return None, "report.pdf not written: Chromium produced no PDF"
        data = out.read_bytes()
    atomic_write_bytes(pdf_path, data)
    return count_pdf_pages(data), ""


# ----------------------------------------------------------------------------------------- entry point
def write_county_report(scn: Scenario, out_dir: str | Path, stages: dict[str, dict], lang: str = "zh",
                        pdf: bool = True, progress: Progress | None = None,
                        kpis: list[dict] | None = None) -> CountyReport:
    """Write ``report.html`` (and ``report.pdf``) into ``out_dir`` from the stage outputs there.

    Parameters
    ----------
    stages : {stage: summary dict} of the county (:func:`county_stages`); the township and site rows are
        read from ``township_reach.csv`` and ``siting/sites.csv`` in ``out_dir``.
    lang : ``zh`` (default) or ``en``.
    pdf : also print ``report.pdf`` with headless Chromium when it is on PATH.
    progress : gets a ``"model"`` event when the PDF is printed and a ``"warning"`` when it cannot be.
    kpis : the official indicators' rows, shown as the report's first section (see :func:`build_report_html`).
    """
    out_dir = Path(out_dir)
    townships = _read_csv(out_dir / "township_reach.csv")
    sites = _read_csv(out_dir / "siting" / "sites.csv") if "siting" in stages else []
    html_path = out_dir / "report.html"
    pdf_path = out_dir / "report.pdf"
    date = _report_date()
    exe = find_chromium() if pdf else None
    note = "" if exe or not pdf else "report.pdf not written: Chromium is not on PATH"
    html, figures = build_report_html(scn, stages, townships, sites, out_dir, lang, date,
                                      "" if exe else ("PDF: –" if not pdf else note), kpis=kpis)
    atomic_write_text(html_path, html)
    pages, pdf_note = (None, note or "PDF not requested")
    if pdf and exe:
        emit(progress, "model", "report", "printing report.pdf with headless Chromium")
        pages, pdf_note = print_pdf(html_path, pdf_path)
    if pdf_note and pdf:
        emit(progress, "warning", "report", pdf_note)
    return CountyReport(html_path, pdf_path if pages else None, pages, pdf_note, figures)


__all__ = ["CountyReport", "build_report_html", "count_pdf_pages", "county_stages", "print_pdf",
           "read_stage_summaries", "write_county_report"]
