"""The county report: one page (two A4 sheets in print) for a county official, built from the stages' outputs.

How the figures are obtained (so that every one equals the stage's ``summary.json``)
-----------------------------------------------------------------------------------
The report never recomputes a figure.  It reads the files the stages wrote into the output folder,
in the layout ``culture-logistics demo`` writes::

    DIR/summary.json, DIR/township_reach.csv      coverage
    DIR/siting/summary.json, DIR/siting/sites.csv siting (MCLP, at most [siting] k sites, default 5)
    DIR/siting_lscp/summary.json                  siting (LSCP: the fewest sites reaching every gap village)
    DIR/routing/summary.json                      routing compare (shared against separate)
    DIR/routing_peak/summary.json, unserved.csv   the shared plan at [demand] peak_scale (the peak plan)

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
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from culture_logistics.config.model import OPERATOR_ZH
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.progress import Progress, emit
from culture_logistics.reports import charts
from culture_logistics.reports.console import console_text, pdf_note_text
from culture_logistics.reports.kpis import kpi_section
from culture_logistics.reports.labels import kind_label, text
from culture_logistics.reports.peak import add_report_figures, band_html, peak_figures, peak_html, saving_band
from culture_logistics.reports.report_page import CSS, count_pdf_pages, find_chromium, print_pdf
from culture_logistics.reports.savings import saving_parts
from culture_logistics.reports.writers import atomic_write_text

STAGE_FILES = {
    "coverage": "summary.json",
    "siting": "siting/summary.json",
    "siting_lscp": "siting_lscp/summary.json",
    "routing": "routing/summary.json",
    "routing_peak": "routing_peak/summary.json",
}

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


def _pct(num, den) -> float | None:
    """``num / den`` in % (1 decimal); ``None`` when nothing was measured (``den`` 0): a rate, not 0.0 %."""
    return round(100.0 * num / den, 1) if den else None


def _pct_txt(p: float | None) -> str:
    return "–" if p is None else f"{p:.1f} %"


def _of(v, n) -> str:
    """``v / n`` (e.g. ``98 / 125``), or ``–`` when there is nothing to count (``n`` 0)."""
    return "–" if not n else f"{_n(v)} / {_n(n)}"


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
                    f'<td class="num" data-v="{v}">{_of(v, nv)}</td><td class="num bar">{_pct_txt(pv)} '
                    f'{"" if pv is None else charts.percent_bar(pv, width=110)}</td>'
                    f'<td class="num" data-p="{p}">{_of(p, npop)}</td><td class="num bar">{_pct_txt(pp)} '
                    f'{"" if pp is None else charts.percent_bar(pp, width=110)}</td></tr>')
    head = (f'<tr><th>{escape(text("measure", lang))}</th><th colspan="2">{escape(text("villages", lang))}</th>'
            f'<th colspan="2">{escape(text("population", lang))}</th></tr>')
    reached = cov["villages_reached"]
    kpi = (f'<div class="kpis"><div class="kpi"><b>{_pct_txt(_pct(reached, nv))}</b>'
           f'<span>{escape(text("reached", lang))}: {_of(reached, nv)} {escape(text("villages", lang))}</span></div>'
           f'<div class="kpi"><b>{_pct_txt(_pct(cov["population_reached"], npop))}</b>'
           f'<span>{escape(text("population", lang))}: {_of(cov["population_reached"], npop)}</span></div>'
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
                     f"{gap} {text('gap_villages', lang)} · {_pct_txt(_pct(r, n))}"))
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
             (text("after", lang), f"{_of(a['villages_reached'], a['villages'])} "
                                   f"({_pct_txt(_pct(a['villages_reached'], a['villages']))})",
              "villages_reached_after")]
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


def _destinations_line(shared: dict, lang: str) -> tuple[str, dict]:
    """The shared plan's cultural destinations (``summary.json`` ``destinations``: 文化超市, 综合文化服务中心, 农家书屋
    the routes visit) as a line; nothing when the scenario has none."""
    d = shared.get("destinations")
    if not isinstance(d, dict) or not all(isinstance(d.get(k), int) for k in
                                          ("destinations", "served", "parcels_delivered", "parcels_picked_up")):
        return "", {}
    if lang == "zh":
        words = (f"文化目的地（文化超市、综合文化服务中心、农家书屋）：共同配送每日线路到达 {d['served']:,}/{d['destinations']:,} "
                 f"个，送达 {d['parcels_delivered']:,} 件、揽收 {d['parcels_picked_up']:,} 件（不计入村数）")
    else:
        words = (f"Cultural destinations (culture stores, cultural centres, village libraries): the shared plan's "
                 f"routes stop at {d['served']:,} of {d['destinations']:,}, delivering {d['parcels_delivered']:,} "
                 f"and picking up {d['parcels_picked_up']:,} parcels a day (not counted as villages)")
    return f'<p class="note" data-key="destinations">{escape(words)}</p>', dict(d)


def _cultural_line(shared: dict, lang: str) -> tuple[str, dict]:
    """The cultural parcels inside the shared plan's whole flow and their marginal cost (``summary.json``
    ``cultural_parcels_per_day``, ``cultural_marginal_cost_cny_per_day``: the plan's cost minus the same plan's
    solved without them; ``cultural_cost_per_parcel_cny``), when solved: other parcels ride along and the
    comparison planned the marginal cost (not in the province batch)."""
    n, m, per = (shared.get(k) for k in ("cultural_parcels_per_day", "cultural_marginal_cost_cny_per_day",
                                         "cultural_cost_per_parcel_cny"))
    if not isinstance(n, int) or not isinstance(m, (int, float)):
        return "", {}
    each = "" if not isinstance(per, (int, float)) else (f"，每件 {per:,.3f} 元" if lang == "zh" else
                                                         f", {per:,.3f} a parcel")
    if lang == "zh":
        words = f"文化产品：每日 {n:,} 件随全部快递同车配送，边际成本 {m:,.2f} 元/天{each}"
    else:
        words = f"Cultural parcels: {n:,} a day in this flow, marginal cost {m:,.2f} CNY/day{each}"
    return (f'<p class="note" data-key="cultural">{escape(words)}</p>',
            {"parcels_per_day": n, "marginal_cost_cny_per_day": m, "cost_per_parcel_cny": per})


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
    cultural_line, cultural = _cultural_line(b, lang)   # in the right-hand column, under the saving's parts
    if cultural:
        figures["cultural"] = cultural
    visits_line, figures["weekly_visits"] = _visits_line(routing, lang)
    dest_line, dest_figures = _destinations_line(b, lang)
    if dest_figures:
        figures["destinations"] = dest_figures
        visits_line += dest_line
    parts, part_notes = saving_parts(routing, lang)
    figures["saving_split"] = {p["key"]: {"cny_per_day": p["cny_per_day"], "pct_of_saving": p["pct_of_saving"]}
                               for p in parts}
    parts_html = ""
    if parts:
        unit = "元/天" if lang == "zh" else "CNY/day"
        items = "".join(
            f'<p class="part{" total" if p["key"] == "total" else ""}" data-key="saving_split.{p["key"]}">'
            f'{escape(p["label"])}{"：" if lang == "zh" else ": "}<b>{p["cny_per_day"]:,.2f}</b> {unit}'
            + ("" if p["pct_of_saving"] is None else f' ({p["pct_of_saving"]:.1f} %)') + "</p>" for p in parts)
        items += "".join(f'<p class="note" data-key="saving_split.note{i}">{escape(n)}</p>'
                         for i, n in enumerate(part_notes))
        parts_html = f'<div class="parts"><b>{escape(text("saving_parts", lang))}</b>{items}</div>'
    sharing, figures["cost_sharing"] = _cost_sharing_table(routing, lang)
    chart = charts.paired_bars(
        [(text("cny_day", lang), float(a["cost_cny"]), float(b["cost_cny"])),
         (text("km_day", lang), float(a["distance_km"]), float(b["distance_km"]))],
        (text("separate", lang), text("shared", lang)), text("cost_chart", lang), bar_h=13)
    figures["saving_band"] = saving_band(routing)
    band = band_html(figures["saving_band"], lang)
    return (h + f'<div class="two"><div>{table}{line}{band}{pc_line}{visits_line}</div><div>{parts_html}{cultural_line}'
            '</div></div>'
            f'{sharing}<figure class="cost"><figcaption>{escape(text("cost_chart", lang))}</figcaption>{chart}</figure>'
            '</section>'), figures


_EMBEDDED_NOTE = re.compile(r"resident population \((?P<pop>[\d,]+);.*\(seed (?P<seed>\d+)\)", re.S)


def data_note_text(scn: Scenario, lang: str) -> str:
    """The scenario's ``[data] note`` for the report: the embedded counties' note (English, written by the
    dataset builder) in Chinese with ``lang="zh"``; any other note is the user's own words, shown as written."""
    note = str(scn.data_note)
    m = _EMBEDDED_NOTE.search(note)
    if lang != "zh" or not m or not note.startswith("Real:"):
        return note
    return (f"真实数据：乡镇与村的名称和代码（国家统计局 2023）、县界（geotool-cn）、部分乡镇驻地（GeoNames，CC BY 4.0）；"
            f"村人口按本县 2020 年第七次全国人口普查常住人口（{m['pop']}）缩放。合成数据：其余乡镇驻地、全部村庄坐标、"
            f"人口在各村间的分配、设施与道路（随机种子 {m['seed']}）。仅供规划演练，并非实测数据。")


def _effort_of(routing: dict | None) -> float | None:
    """The routing stage's ``[routing] effort`` when it was not 1 (summary.json ``params`` records it only then)."""
    e = ((routing or {}).get("shared") or {}).get("params", {}).get("effort")
    return None if e is None or float(e) == 1.0 else float(e)


def _sources_section(scn: Scenario, out_dir: Path, lang: str, date: str, pdf_note: str,
                     effort: float | None = None) -> str:
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
        items.append(f"<li><b>{escape(text('src_note', lang))}</b>: {escape(data_note_text(scn, lang))}</li>")
    if effort is not None:   # plans made on a shorter (or longer) search than the default: say so
        items.append(f'<li data-key="effort"><b>{escape(text("src_effort", lang))}</b>: '
                     f'{escape(text("src_effort_note", lang, effort=f"{effort:g}"))}</li>')
    links = []
    for rel, label in (("coverage_map.html", "覆盖地图" if lang == "zh" else "coverage map"),
                       ("siting/siting_map.html", "选址地图" if lang == "zh" else "siting map"),
                       ("routing/shared/routes_map.html", "共同配送线路图" if lang == "zh" else "shared routes map")):
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


def build_report_html(scn: Scenario, stages: dict[str, dict], townships: list[dict], sites: list[dict],
                      out_dir: Path, lang: str = "zh", date: str | None = None, pdf_note: str = "",
                      kpis: list[dict] | None = None, peak_unserved: list[dict] | None = None) -> tuple[str, dict]:
    """The report page and the figures it shows ({section: {figure: value}}), from the stage summaries.

    Parameters
    ----------
    stages : {stage: summary dict} as :func:`read_stage_summaries` returns (``coverage`` required).
    townships : rows of ``township_reach.csv``; sites : rows of ``siting/sites.csv``;
    peak_unserved : rows of ``routing_peak/unserved.csv`` (the peak plan's unserved stops).
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
    f_peak = peak_figures(stages.get("routing_peak"), peak_unserved)
    if stages.get("routing") and "shared" in stages["routing"] and routing.endswith("</section>"):
        routing = routing[:-len("</section>")] + peak_html(stages["routing"], f_peak, lang) + "</section>"
    sources = _sources_section(scn, out_dir, lang, date, pdf_note, _effort_of(stages.get("routing")))
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
    figures = {"coverage": f_reach, "townships": f_gaps, "siting": f_site, "routing": f_route, "peak": f_peak}
    if kpis:
        figures["kpis"] = {r["code"]: r["value"] for r in kpis}
    return html, figures


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
    peak_unserved = _read_csv(out_dir / "routing_peak" / "unserved.csv") if "routing_peak" in stages else []
    html, figures = build_report_html(scn, stages, townships, sites, out_dir, lang, date,
                                      "" if exe else ("PDF: –" if not pdf else note), kpis=kpis,
                                      peak_unserved=peak_unserved)
    atomic_write_text(html_path, html)
    add_report_figures(out_dir / "summary.json", figures)
    pages, pdf_note = (None, note or "PDF not requested")
    if pdf and exe:
        emit(progress, "model", "report", console_text("model_pdf", lang))
        pages, pdf_note = print_pdf(html_path, pdf_path)
    if pdf_note and pdf:
        emit(progress, "warning", "report", pdf_note_text(pdf_note, lang))
    return CountyReport(html_path, pdf_path if pages else None, pages, pdf_note, figures)


__all__ = ["CountyReport", "build_report_html", "count_pdf_pages", "county_stages", "print_pdf",
           "read_stage_summaries", "write_county_report"]
