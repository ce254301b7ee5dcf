"""The whole parcel flow in the county report: our saving beside the published band of county co-delivery
savings, and the peak plan (the shared plan with every flow × ``[demand] peak_scale``).

Used by :mod:`culture_logistics.reports.report`; the figures also go into the folder's ``summary.json``
(``saving_band``, ``peak_plan``: :func:`add_report_figures`).
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from culture_logistics.reports.labels import reason_label, text
from culture_logistics.reports.writers import write_json


def fmt_int(v) -> str:
    """A whole number with thousands separators, ``–`` when missing."""
    return f"{int(v):,}" if v is not None else "–"


def fmt_float(v, nd: int = 1) -> str:
    """A number with ``nd`` decimals and thousands separators, ``–`` when missing."""
    return "–" if v is None else f"{float(v):,.{nd}f}"


#: Published savings of county co-delivery and 客货邮 carriage (../shared/docs/COUNTY-PRACTICE.md §2):
#: (place zh, place en, saving %, what, source URL)
PUBLISHED_SAVINGS = (
    ("新疆四师可克达拉", "四师", 15.0, "成本降低15%以上 / cost −15 % or more (典型案例 2025)",
     "http://www.btwmw.net/content/content_1963564.html"),
    ("湖南", "湖南", 20.0, "下行配送成本降低约20% / downward delivery cost about −20 %",
     "https://www.mdpi.com/2079-8954/13/7/602"),
    ("贵州习水", "习水", 25.0, "配送成本降低25% / delivery cost −25 %",
     "https://www.chaxiaohao.com/read-1750890065l2607935.html"),
    ("贵州习水（上行）", "习水 upward", 32.0, "上行成本降低32% / upward cost −32 %",
     "https://www.chaxiaohao.com/read-1750890065l2607935.html"),
)

#: the band the published savings span (%)
SAVING_BAND_PCT = (min(x[2] for x in PUBLISHED_SAVINGS), max(x[2] for x in PUBLISHED_SAVINGS))


def saving_band(routing: dict) -> dict:
    """Our saving (shared against separate, and against 邮快合作) beside the published band: ``{low_pct,
    high_pct, saving_pct, saving_vs_postal_courier_pct, position ("below", "within", "above" or None without a
    saving), cases: [{place_zh, place_en, saving_pct, what, url}]}``."""
    lo, hi = SAVING_BAND_PCT
    pct = routing.get("saving_pct")
    position = None if pct is None else ("below" if pct < lo else "above" if pct > hi else "within")
    return {"low_pct": lo, "high_pct": hi, "saving_pct": pct,
            "saving_vs_postal_courier_pct": routing.get("saving_vs_postal_courier_pct"), "position": position,
            "cases": [{"place_zh": a, "place_en": b, "saving_pct": c, "what": d, "url": e}
                      for a, b, c, d, e in PUBLISHED_SAVINGS]}


def band_html(band: dict, lang: str) -> str:
    """The published band beside our saving, the explanation when ours is outside it, and the sources."""
    if band["position"] is None:
        return ""
    zh = lang == "zh"
    cases = ("、" if zh else ", ").join(f"{c['place_zh'] if zh else c['place_en']} −{c['saving_pct']:g}"
                                      + ("%" if zh else " %") for c in band["cases"])
    ours = text("band_ours", lang, pct=f"{band['saving_pct']:.1f}")
    if band["saving_vs_postal_courier_pct"] is not None:
        ours += ("，" if zh else ", ") + text("band_ours_pc", lang, pct=f"{band['saving_vs_postal_courier_pct']:.1f}")
    line = text("band_line", lang, lo=f"{band['low_pct']:g}", hi=f"{band['high_pct']:g}", cases=cases, ours=ours)
    why = text("band_" + band["position"], lang)
    # the sites as text: the page links to nothing outside itself (the full addresses are in summary.json
    # saving_band and docs/guide/report.md)
    urls = sorted({c["url"].split("://", 1)[-1].split("/")[0] for c in band["cases"]})
    src = " · ".join(escape(u) for u in urls)
    return (f'<p class="note" data-key="saving_band">{escape(line)} {escape(why)} '
            f'{escape(text("band_sources", lang))}: {src}</p>')


def peak_figures(peak: dict | None, unserved_rows: list[dict]) -> dict:
    """The peak plan's figures for the report: ``{peak_scale, vehicles, distance_km, cost_cny, cost_per_parcel_cny,
    unserved_stops, unserved_by_reason, unserved: [{stop_id, stop_name, echelon, reason_code, reason}]}``
    ({} without a peak plan)."""
    if not peak:
        return {}
    return {"peak_scale": peak.get("peak_scale"), "vehicles": peak.get("vehicles"),
            "distance_km": peak.get("distance_km"), "cost_cny": peak.get("cost_cny"),
            "cost_per_parcel_cny": peak.get("cost_per_parcel_cny"), "unserved_stops": peak.get("unserved_stops"),
            "unserved_by_reason": peak.get("unserved_by_reason", {}),
            "unserved": [{k: r.get(k, "") for k in ("stop_id", "stop_name", "echelon", "reason_code", "reason")}
                         for r in unserved_rows]}


#: unserved stops of the peak plan named in the report (all are in routing_peak/unserved.csv)
PEAK_UNSERVED_SHOWN = 2


def peak_html(routing: dict | None, fig: dict, lang: str) -> str:
    """The peak plan in two lines beside the day's shared plan: vehicles, km, CNY/day, CNY/parcel, and the
    unserved stops with their reasons (counts, the first few by name; all in routing_peak/unserved.csv)."""
    if not fig:
        return f'<p class="note" data-key="peak">{escape(text("peak_none", lang))}</p>'
    zh = lang == "zh"
    day = (routing or {}).get("shared") or {}
    f = fig.get("peak_scale")
    head = text("h_peak", lang, f=format(f, "g") if f is not None else "–")

    def fig_txt(d: dict) -> str:
        if zh:
            return (f"{fmt_int(d.get('vehicles'))} 辆车，{fmt_float(d.get('distance_km'), 0)} 公里，{fmt_float(d.get('cost_cny'), 0)} 元/天，"
                    f"{fmt_float(d.get('cost_per_parcel_cny'), 3)} 元/件")
        return (f"{fmt_int(d.get('vehicles'))} vehicles, {fmt_float(d.get('distance_km'), 0)} km, {fmt_float(d.get('cost_cny'), 0)} CNY/day, "
                f"{fmt_float(d.get('cost_per_parcel_cny'), 3)} CNY/parcel")
    line = (f"{head}：{fig_txt(fig)}（{text('peak_day', lang)}：{fig_txt(day)}）。" if zh else
            f"{head}: {fig_txt(fig)} ({text('peak_day', lang)}: {fig_txt(day)}).")
    n = fig.get("unserved_stops") or 0
    if not n:
        tail = text("peak_all_served", lang)
    else:
        sep = "，" if zh else ", "
        reasons = sep.join(f"{reason_label(k, lang)} {v}" for k, v in sorted(fig["unserved_by_reason"].items()))
        names = sep.join(f'{r["stop_name"] or r["stop_id"]}（{reason_label(r["reason_code"], lang)}）' if zh else
                         f'{r["stop_name"] or r["stop_id"]} ({reason_label(r["reason_code"], lang)})'
                         for r in fig["unserved"][:PEAK_UNSERVED_SHOWN])
        more = len(fig["unserved"]) - PEAK_UNSERVED_SHOWN
        if more > 0:
            names += sep + text("peak_more", lang, n=more)
        tail = (f"{text('peak_unserved', lang, n=n)} {reasons}" + ("；" if zh else "; ") + names)
    return (f'<p class="lead" data-key="peak">{escape(line)}</p>'
            f'<p class="note" data-key="peak.unserved">{escape(tail)}</p>')


def add_report_figures(summary_path: Path, figures: dict) -> None:
    """Set ``saving_band`` (our saving beside the published band) and ``peak_plan`` (the peak plan's figures) in
    the folder's county ``summary.json`` beside ``kpis``; nothing when it is missing or unreadable."""
    try:
        data = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(data, dict):
        return
    band = figures.get("routing", {}).get("saving_band")
    if band is not None:
        data["saving_band"] = band
    if figures.get("peak"):
        data["peak_plan"] = figures["peak"]
    write_json(data, Path(summary_path))
