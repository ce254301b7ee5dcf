"""Writing the official indicators: ``kpis.csv`` beside report.html, the province upload tables in ``upload/``,
the ``kpis`` entry of the folder's ``summary.json``, and the report's first section.

Files
-----
``kpis.csv``                   one row per figure: ``code, indicator_zh, indicator_en, value, unit, numerator,
                               denominator, target, note`` (percentages 0–100; empty where undefined)
``upload/village_points.csv``  村点出入库量: point, day, parcels in, parcels out
``upload/lines.csv``           线路运输量: route or bus line, day, parcels down and up, km
``upload/lead_times.csv``      送达时效: one row per village

Every file is written atomically (:mod:`culture_logistics.reports.writers`), all computed before any is written.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from culture_logistics.kpis.indicators import NIGHT_TRUNK_NOTE, KpiTable
from culture_logistics.reports.writers import write_csv, write_json

UPLOAD_FILES = ("village_points.csv", "lines.csv", "lead_times.csv")

#: the figures the report's first section shows (all are in kpis.csv)
REPORT_CODES = ("K1", "K2", "K3", "K4", "K5", "K6", "K7-24h", "K7-48h", "K7-72h", "K9", "K9-saving", "K10",
                "K11-lead", "K12")


def write_kpis(table: KpiTable, out_dir: str | Path) -> dict[str, Path]:
    """Write ``kpis.csv`` and ``upload/*.csv`` into ``out_dir``; returns {file name: path}."""
    out = Path(out_dir)
    frames = {"kpis.csv": table.frame(), "upload/village_points.csv": table.village_points,
              "upload/lines.csv": table.lines, "upload/lead_times.csv": table.lead_times}
    return {name: write_csv(df, out / name) for name, df in frames.items()}


def add_to_summary(table: KpiTable, summary_path: str | Path) -> Path | None:
    """Set ``kpis`` in the ``summary.json`` at ``summary_path`` (the folder's county summary); None when there is
    no readable summary there."""
    p = Path(summary_path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    data["kpis"] = table.summary()
    return write_json(data, p)


def _fmt(v, unit: str) -> str:
    if v is None or v == "":
        return "—"
    if unit == "%" and isinstance(v, (int, float)):
        return f"{float(v):,.1f}"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def kpi_section(rows: list[dict], lang: str = "zh") -> str:
    """The report's first section: the figures of :data:`REPORT_CODES` as compact boxes (code and indicator,
    value, numerator / denominator, target), each keyed ``data-key="kpis.<code>"``; every figure is in kpis.csv."""
    zh = lang == "zh"
    title = "考核指标" if zh else "Official indicators"
    by = {r["code"]: r for r in rows}
    boxes = []
    for code in REPORT_CODES:
        r = by.get(code)
        if r is None:
            continue
        name = r["indicator_zh"] if zh else r["indicator_en"]
        unit = r["unit"] or ""
        frac = "" if r.get("denominator") in (None, "") else \
            f' ({_fmt(r.get("numerator"), "")}/{_fmt(r.get("denominator"), "")})'
        target = "" if r.get("target") in (None, "") else \
            (" · 目标 " if zh else " · target ") + f'{_fmt(r["target"], unit)}{unit if unit == "%" else ""}'
        boxes.append(f'<div class="kv" data-key="kpis.{escape(code)}"><span>{escape(code)} {escape(name)}</span>'
                     f'<b>{escape(_fmt(r["value"], unit))} {escape(unit)}</b><small>{escape(frac + target)}</small></div>')
    note = ("全部指标、口径与来源见 kpis.csv；上报表见 upload/（村点出入库量、线路运输量、送达时效）。" if zh else
            "Every figure, its definition and source: kpis.csv; the province upload tables: upload/.")
    k24 = by.get("K7-24h")
    if k24 is not None and k24.get("value") == 0 and NIGHT_TRUNK_NOTE in str(k24.get("note", "")):
        note = ("24 小时送达率为 0：干线在当日包裹到达县中心之前发车（夜间干线），包裹次日送达；在 [routing] 设置 "
                "inbound_arrival 可让干线等候当日包裹。" if zh else
                "K7-24h is 0: the trunk leaves before the day's parcels reach the county centre (a night trunk), so "
                "they arrive the next day; set [routing] inbound_arrival for a trunk that waits for them. ") + note
    return (f'<section id="kpis"><h2>{escape(title)}</h2><div class="kvs kpigrid">{"".join(boxes)}</div>'
            f'<p class="note">{escape(note)}</p></section>')


__all__ = ["REPORT_CODES", "UPLOAD_FILES", "add_to_summary", "kpi_section", "write_kpis"]
