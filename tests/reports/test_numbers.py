"""One rounding of rates in tables and maps (reports.numbers.pct)."""
from __future__ import annotations

import pytest

from conftest import ROOT
from culture_logistics import load_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.reports.coverage import workbook_sheets
from culture_logistics.reports.labels import column_label as _head
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.maps.coverage import coverage_map
from culture_logistics.reports.numbers import pct, pct_text


def test_half_up_on_the_decimal_value():
    # the float 0.5455 is a little below 0.5455: the format rounds it down, the tables must not
    assert f"{0.5455:.1%}" == "54.5%" and pct(0.5455) == 54.6
    assert pct(0.54549) == 54.5 and pct(6 / 11) == 54.5 and pct(0.0005) == 0.1 and pct(1.0) == 100.0
    assert pct(0.12345, nd=2) == 12.35
    assert pct(None) is None and pct(float("nan")) is None
    assert pct_text(0.5455) == "54.6 %" and pct_text(None) == "–"


@pytest.mark.slow
def test_map_shows_the_workbook_rates():
    path = ROOT / "data" / "counties" / "370782" / "scenario.toml"
    if not path.exists():
        pytest.skip("embedded dataset 370782 not built")
    res = compute_coverage(load_scenario(path))
    for lang in ("en", "zh"):
        sheets, _ = workbook_sheets(res, lang)
        tw = next(iter(sheets.values()))
        html = maps.render_map(coverage_map(res, tiles="none", lang=lang))
        code, vil, got, rate = (_head(c, lang) for c in ("township_code", "villages", "villages_reached", "reach_rate"))
        rows = tw[tw[code] != ""]
        assert len(rows) == res.villages["township_code"].nunique()
        for r in rows.itertuples(index=False):
            d = dict(zip(tw.columns, r))
            assert f"{d[got]}/{d[vil]} ({d[rate]:.1f} %)" in html, (lang, d)
