"""Where the package's own files live: embedded datasets and map assets.

The embedded datasets (``counties/``, ``divisions/``, ``geonames/``, ``census/``) live in the
repository's top-level ``data/`` folder; the wheel ships that folder as ``culture_logistics/data/``
(pyproject ``[tool.setuptools.package-dir]``), so an installed wheel finds them inside the package
and a source checkout (``PYTHONPATH=src`` or an editable install) next to ``src/``.  The Leaflet
assets are package data under ``static/``.  ``CULTURE_LOGISTICS_DATA`` may point at another copy
of the data folder (for example one shared by every machine of a Dask cluster).
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("culture_logistics")))
CHECKOUT_DATA_DIR = PACKAGE_DIR.parents[1] / "data"
"""``<checkout>/data``: where the datasets are when the package runs from ``<checkout>/src``."""


def data_dir() -> Path:
    """The folder holding ``counties/``, ``divisions/``, ``geonames/`` and ``census/``.

    ``CULTURE_LOGISTICS_DATA`` when set; else the copy an installed wheel carries inside the package;
    else ``data/`` of the source checkout the package runs from (``<checkout>/src/culture_logistics``).
    """
    env = os.environ.get("CULTURE_LOGISTICS_DATA")
    if env:
        return Path(env)
    packaged = PACKAGE_DIR / "data"
    if packaged.is_dir():
        return packaged
    return CHECKOUT_DATA_DIR


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
