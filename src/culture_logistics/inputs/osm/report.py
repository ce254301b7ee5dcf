"""``import_report.csv`` (one row per decision) and ``import_report.md`` (a short summary).

Decisions (column ``decision``):

``matched`` / ``matched_by_location`` / ``matched_by_neighbours``
    an OSM place given an NBS village (or township) code (``detail``: by which name rule); by
    location when the name exists in several townships and the nearest township seat decided; by
    neighbours when no seat exists and the township of most of the nearest matched places decided.
``ambiguous``, ``duplicate``, ``osm_unmatched``
    an OSM place not used (why in ``detail``; ``nbs_name`` may hold the closest NBS name).
``nbs_no_point``
    an NBS village with no OSM point: not in villages.csv (add it with ``--villages``).
``facility`` / ``skipped`` / ``hub_promoted``
    a POI classified (operator/tier in ``nbs_name``), not a logistics site, or promoted to county hub.
``roads``
    counts of the road pass (``detail``: ``key=value``).
"""
from __future__ import annotations

import pandas as pd

COLUMNS = ["kind", "osm_id", "osm_name", "place", "lon", "lat", "code", "nbs_name", "decision", "detail"]


def report_frame(decisions: list[dict], summary: dict) -> pd.DataFrame:
    """All decisions, then one ``roads`` row per road-pass count."""
    rows = [dict(d) for d in decisions]
    for key, value in summary["stats"].items():
        rows.append({"kind": "roads", "decision": "count", "detail": f"{key}={value}"})
    return pd.DataFrame(rows, columns=COLUMNS).astype(object).fillna("")


def report_markdown(summary: dict, decisions: list[dict]) -> str:
    """A one-page summary for a person: what was imported, what was left out, how to add it."""
    by = pd.Series([d["decision"] for d in decisions], dtype=str).value_counts().to_dict()
    s = summary["stats"]
    lines = [
        f"# OSM import: {summary['county']} {summary['name']}",
        "",
        f"Source: `{summary['extract']}` (OpenStreetMap data as of {summary['osm_timestamp'] or 'unknown'}), "
        "© OpenStreetMap contributors, ODbL 1.0.",
        f"Clipped to the county {summary['extent_source']} + {summary['buffer_m']:g} m.",
        "",
        "| what | count |", "|---|---:|",
        f"| nodes read / inside the clip | {s['nodes_read']:,} / {s['nodes_in_clip']:,} |",
        f"| highway ways read / kept (drivable) | {s['highway_ways_read']:,} / {s['ways_kept']:,} |",
        f"| ways not drivable (footway, path, cycleway …, access=no) | {s['ways_not_drivable']:,} |",
        f"| ways cut at missing nodes (outside clip or extract) | {s['ways_cut']:,} ({s['node_refs_missing']:,} "
        f"node refs) |",
        f"| road lines in roads.gpkg | {summary['roads']:,} |",
        f"| villages with a point / in the NBS list | {summary['villages']:,} / {summary['nbs_villages']:,} |",
        f"| townships with an OSM point / NBS | {summary['townships_with_point']:,} / {summary['nbs_townships']:,} |",
        f"| facilities | {summary['facilities']:,} |",
        "",
        "Decisions (every row in import_report.csv): "
        + ", ".join(f"{k} {v}" for k, v in sorted(by.items())) + ".",
        "",
    ]
    unmatched = [d for d in decisions if d["decision"] in ("osm_unmatched", "ambiguous", "duplicate")]
    if unmatched:
        lines += ["## OSM places not used", ""]
        lines += [f"- {d['osm_name']} (node {d['osm_id']}, {d['place']}): {d['decision']} — {d['detail']}"
                  for d in unmatched[:40]]
        if len(unmatched) > 40:
            lines.append(f"- … and {len(unmatched) - 40} more in import_report.csv")
        lines.append("")
    n_missing = by.get("nbs_no_point", 0)
    if n_missing:
        lines += [f"{n_missing} NBS villages have no OSM point and are not in villages.csv. To plan for them, "
                  "give their points: `import-osm … --villages FILE` with columns "
                  "`code,name,township_code,lon,lat,population` (WGS-84), e.g. from the county's 村委会 list.", ""]
    for note in summary.get("notes", []):
        lines.append(f"- {note}")
    if summary.get("warnings"):
        lines += ["", f"Validation warnings ({len(summary['warnings'])}):", ""]
        lines += [f"- {w}" for w in summary["warnings"][:20]]
    return "\n".join(lines) + "\n"
