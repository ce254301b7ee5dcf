"""``route`` with ``[[bus_line]]`` tables and the default map (was ``KeyError: 'bus'`` in the map's labels)."""
from __future__ import annotations

import re

import pytest
from test_bus import bus, county

from conftest import run_cli


def _text(html: str) -> str:
    """The map page with the ``\\uXXXX`` escapes of its JSON layer names decoded."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


@pytest.mark.parametrize("lang, layer, legend", [
    ("en", "Bus · 诸城县级共配中心 B1@07:00 (3 stops, 16.2 km)", "bus line: parcels on a scheduled county bus"),
    ("zh", "客货邮公交 · 诸城县级共配中心 B1@07:00（3 站，16.2 公里）", "公交线路：县乡公交捎带包裹")])
def test_bus_lines_with_the_default_map(tmp_path, lang, layer, legend):
    out = tmp_path / "out"
    res = run_cli("route", county(tmp_path / "c", bus()), "--mode", "shared", "--lang", lang, "--quiet",
                  "--out", out)
    assert res.returncode == 0, res.stderr
    html = _text((out / "routes_map.html").read_text(encoding="utf-8"))
    assert layer in html and legend in html
