"""Where the package's own files live: embedded datasets and map assets.

The embedded datasets (``counties/``, ``divisions/``, ``geonames/``) and the Leaflet
assets are package data, so an installed wheel finds them as an editable checkout
does.  ``CULTURE_LOGISTICS_DATA`` may point at another copy of the data folder (for
example one shared by every machine of a Dask cluster).
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("culture_logistics")))


def data_dir() -> Path:
    """The folder holding ``counties/``, ``divisions/`` and ``geonames/``."""
    env = os.environ.get("CULTURE_LOGISTICS_DATA")
    if env:
        return Path(env)
    return PACKAGE_DIR / "data"


def static_dir() -> Path:
    """The map assets (Leaflet, Leaflet.markercluster), inlined into every HTML map."""
    return PACKAGE_DIR / "static"


def counties_dir() -> Path:
    return data_dir() / "counties"


def divisions_dir() -> Path:
    return data_dir() / "divisions"


DEFAULT_COUNTY = "370782"  # 诸城市
PILOT_COUNTIES = (
    "370102", "370211", "370303", "370481", "370502",
    "370782", "371002", "370883", "371322", "371427",
)
