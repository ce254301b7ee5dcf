"""Where the shared plan's daily saving comes from, for the county report: the saving (separate − shared, CNY a
day) split into the vehicles' fixed cost, the distance cost and bus freight, with notes on it.
"""
from __future__ import annotations

from typing import Any

#: the parts of the daily saving, in the order they are shown: {key: (en, zh)}
SPLIT_PARTS = {"vehicles": ("Fewer vehicles (fixed cost, {a} → {b} vehicles)", "少用车辆（固定成本，{a} → {b} 辆）"),
               "distance": ("Fewer kilometres (distance cost, {a:,.0f} → {b:,.0f} km)",
                            "少跑里程（里程成本，{a:,.0f} → {b:,.0f} 公里）"),
               "bus": ("Bus freight", "客货邮公交运费"),
               "total": ("Total saving", "合计节省")}


def saving_parts(routing: dict, lang: str) -> tuple[list[dict], list[str]]:
    """The daily saving (separate − shared, CNY/day) split the way a reader adds it up, and notes on it.

    Parts: ``vehicles`` (the vehicles' fixed cost: separate − shared, so fewer vans give a positive part),
    ``distance`` (the distance cost), ``bus`` (bus freight, when a plan uses bus lines) and ``total``;
    the parts add up to the total (a plan's cost is exactly their sum).  Each is ``{key, label, cny_per_day,
    pct_of_saving}`` (% of the total saving, ``None`` when there is no saving to share out).  A part over
    100 % is possible only when another is negative; a note then says so.  The duplicated village visits
    removed (routing/compare.py ``saving_split``) are a note: their cost is inside the vehicle and distance
    parts, not a part of its own.
    """
    a, b = routing.get("separate") or {}, routing.get("shared") or {}
    zh = lang == "zh"
    keys = ("cost_vehicles_cny", "cost_distance_cny", "cost_cny")
    if not all(isinstance(x.get(k), (int, float)) for x in (a, b) for k in keys):
        return [], []
    values = {"vehicles": float(a["cost_vehicles_cny"]) - float(b["cost_vehicles_cny"]),
              "distance": float(a["cost_distance_cny"]) - float(b["cost_distance_cny"])}
    bus = float(a.get("cost_bus_cny") or 0) - float(b.get("cost_bus_cny") or 0)
    if a.get("cost_bus_cny") or b.get("cost_bus_cny"):
        values["bus"] = bus
    total = float(a["cost_cny"]) - float(b["cost_cny"])
    fields = {"vehicles": {"a": a.get("vehicles"), "b": b.get("vehicles")},
              "distance": {"a": float(a.get("distance_km") or 0), "b": float(b.get("distance_km") or 0)}}
    parts: list[dict[str, Any]] = []
    for key, v in list(values.items()) + [("total", total)]:
        en, zh_label = SPLIT_PARTS[key]
        label = (zh_label if zh else en).format(**fields.get(key, {}))
        parts.append({"key": key, "label": label, "cny_per_day": round(v, 2),
                      "pct_of_saving": round(100 * v / total, 1) if total > 0 else None})
    notes = []
    over = [p for p in parts[:-1] if p["pct_of_saving"] is not None and p["pct_of_saving"] > 100]
    negative = [p for p in parts[:-1] if p["cny_per_day"] < 0]
    if over and negative:
        names = "、".join(p["label"].split("（")[0] for p in negative) if zh else \
            ", ".join(p["label"].split(" (")[0].lower() for p in negative)
        notes.append(f"某项超过 100%：{names}一项为负（共同配送在这方面花得更多），由其余各项抵补" if zh else
                     f"A part is over 100 % because {names} is negative (shared costs more there); the other "
                     "parts make up for it")
    split = routing.get("saving_split")
    dup = split.get("duplicated_visits") if isinstance(split, dict) else None
    if isinstance(dup, dict) and isinstance(dup.get("visits_removed"), int) and dup["visits_removed"] > 0:
        cny = float(dup.get("cny_per_day") or 0)
        notes.append(f"其中每天少到村 {dup['visits_removed']:,} 次（重复到村），约 {cny:,.2f} 元/天，已含在以上各项中" if zh
                     else f"Of which {dup['visits_removed']:,} duplicated village visits a day fewer, about "
                     f"{cny:,.2f} CNY/day, already inside the parts above")
    return parts, notes
