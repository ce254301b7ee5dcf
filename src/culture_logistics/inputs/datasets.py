"""The embedded county datasets (data/counties/<adcode>/).
"""
from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path

from culture_logistics.errors import CultureLogisticsError
from culture_logistics.resources import counties_dir


def embedded_counties() -> list[str]:
    d = counties_dir()
    return sorted(p.name for p in d.iterdir() if (p / "scenario.toml").exists()) if d.exists() else []


def scenario_path(adcode: str) -> Path:
    return counties_dir() / adcode / "scenario.toml"


def resolve_scenario(arg: str) -> Path:
    """A scenario.toml path, or the 6-digit code of an embedded county (e.g. ``370782``)."""

    p = Path(arg)
    if p.exists() or not (len(arg) == 6 and arg.isdigit()):
        return p
    emb = scenario_path(arg)
    if not emb.exists():
        raise CultureLogisticsError(f"{arg} is neither a file nor an embedded county; see `culture-logistics datasets`")
    return emb


def list_datasets() -> list[dict]:
    """Code, name, township and village counts, facilities by operator, for each embedded county."""

    rows = []
    for code in embedded_counties():
        folder = counties_dir() / code
        conf = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        inputs = conf.get("inputs", {})
        with open(folder / inputs.get("villages", "villages.csv"), encoding="utf-8-sig", newline="") as fh:
            vil = list(csv.DictReader(fh))
        with open(folder / inputs.get("facilities", "facilities.csv"), encoding="utf-8-sig", newline="") as fh:
            fac = list(csv.DictReader(fh))
        rows.append({
            "code": code,
            "name": conf.get("county", {}).get("name", ""),
            "townships": len({v["township_code"] for v in vil}),
            "villages": len(vil),
            "facilities": dict(sorted(Counter(f["operator"] for f in fac).items())),
            "synthetic": bool(conf.get("data", {}).get("synthetic", False)),
        })
    return rows
