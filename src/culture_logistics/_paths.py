"""Where the project's embedded data lives.

The embedded datasets live in the repository's ``data/`` folder (not inside the
package), so that they are in exactly the form a user supplies.  An editable
install (``pip install -e .``) finds them beside ``src/``; any other layout can
point ``CULTURE_LOGISTICS_DATA`` at a copy of that folder.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Return the folder holding ``counties/`` and ``divisions/``."""
    env = os.environ.get("CULTURE_LOGISTICS_DATA")
    if env:
        return Path(env)
    return REPO_ROOT / "data"


def counties_dir() -> Path:
    return data_dir() / "counties"


def divisions_dir() -> Path:
    return data_dir() / "divisions"


DEFAULT_COUNTY = "370782"  # 诸城市
PILOT_COUNTIES = (
    "370102", "370211", "370303", "370481", "370502",
    "370782", "371002", "370883", "371322", "371427",
)
