"""The maps as a person sees them: offline pages opened in headless Chromium, escaped names, GCJ-02.

The Chromium test injects a small probe script into a copy of the page: it records JavaScript errors
(window.onerror) and, after load, counts the drawn layers by kind, opens every village popup and
writes what it found into a DOM element that ``--dump-dom`` prints.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import LAT, LON0, ROOT, STEP, chromium_path, write_scenario
from culture_logistics import load_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.geo import areas as _areas
from culture_logistics.geo.coords import wgs84_to_gcj02
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.maps.coverage import coverage_map

EVIL_VILLAGE = '<img src=x onerror="window.__xss=1">村'
EVIL_FACILITY = "<script>window.__xss=2</script>站"
EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def evil_scenario(tmp_path: Path) -> Path:
    """conftest's county with markup in a village's and a facility's name."""
    villages = []
    for k in range(1, 9):
        name = EVIL_VILLAGE if k == 3 else f"测试村{k}"
        villages.append(f'37078200100{k},"{name.replace(chr(34), chr(34) * 2)}",370782001,'
                        f"{LON0 + STEP * 2 * (k - 1):.2f},{LAT},{1000 * k}")
    facilities = [f"HUB,{EVIL_FACILITY},shared,county,{LON0 + 0.10:.2f},{LAT},,",
                  f"P1,邮政站,postal,township,{LON0:.2f},{LAT},,200",
                  f"C1,快递站,courier,village,{LON0 + 0.14:.2f},{LAT},中通,50"]
    return write_scenario(tmp_path / "evil", villages, facilities)


@pytest.fixture
def evil(tmp_path):
    return compute_coverage(load_scenario(evil_scenario(tmp_path)))


def test_page_is_offline(evil):
    html = maps.render_map(coverage_map(evil))
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert "Leaflet 1.9.4" in html and "cdn.jsdelivr" not in html and "cdnjs" not in html
    assert "data:image/png;base64," in html  # layer-control icon inlined


def test_names_are_escaped(evil):
    html = maps.render_map(coverage_map(evil, lang="zh"))
    assert EVIL_VILLAGE not in html and "<img src=x" not in html
    assert EVIL_FACILITY not in html and "<script>window.__xss" not in html
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;村" in html
    assert "&lt;script&gt;window.__xss=2&lt;/script&gt;站" in html


def test_render_is_deterministic(evil):
    assert maps.render_map(coverage_map(evil)) == maps.render_map(coverage_map(evil))


def test_amap_tiles_shift_data_to_gcj02(evil):
    osm = maps.render_map(coverage_map(evil, tiles="osm"))
    amap = maps.render_map(coverage_map(evil, tiles="amap"))
    assert "[36.0,119.3," in osm  # village 1 / P1 at WGS-84 (lat, lon)
    glon, glat = wgs84_to_gcj02(119.3, 36.0)
    assert f"[{round(glat, 5)},{round(glon, 5)}," in amap and "[36.0,119.3," not in amap
    # GCJ-02 moves Shandong by a few hundred metres
    assert 100 < np.hypot((glon - 119.3) * 90000, (glat - 36.0) * 111000) < 1000
    assert "autonavi.com" in amap and "tile.openstreetmap.org" not in amap
    with pytest.raises(Exception, match="unknown base map"):
        coverage_map(evil, tiles="google")


def test_township_areas_partition_the_county():
    """Two townships of four villages each, west and east of lon 119.35: the split is halfway."""
    import pandas as pd
    from shapely.geometry import Point, box

    lon = [119.30, 119.32, 119.30, 119.32, 119.38, 119.40, 119.38, 119.40]
    lat = [36.00, 36.00, 36.04, 36.04, 36.00, 36.00, 36.04, 36.04]
    v = pd.DataFrame({"lon": lon, "lat": lat, "township_code": ["370782001"] * 4 + ["370782002"] * 4,
                      "township_name": ["密州街道"] * 4 + ["龙都街道"] * 4})
    county = box(119.25, 35.95, 119.45, 36.10)
    a = _areas.township_areas(v, county).set_index("township_code")
    assert list(a.index) == ["370782001", "370782002"]
    west, east = a.geometry.iloc[0], a.geometry.iloc[1]
    assert west.intersection(east).area < 1e-9
    assert west.union(east).area == pytest.approx(county.area, rel=1e-3)
    assert west.bounds[2] == pytest.approx(119.35, abs=1e-4) and east.bounds[0] == pytest.approx(119.35, abs=1e-4)
    for x, y, code in zip(lon, lat, v["township_code"]):
        assert a.geometry[code].contains(Point(x, y))


# ---------------------------------------------------------------------------------- Chromium
PROBE = """<script>
window.__errs=[];
window.addEventListener('error',function(e){window.__errs.push(String(e.message||e));
 document.documentElement.setAttribute('data-js-errors',JSON.stringify(window.__errs));});
window.addEventListener('load',function(){setTimeout(function(){
 var kinds={},pops=[],maps=0;
 for(var k in window){var v;try{v=window[k];}catch(e){continue;}
  if(v&&window.L&&v instanceof L.Map){maps++;var vs=[];
   v.eachLayer(function(l){var kd=l.options&&l.options.clKind;if(kd){kinds[kd]=(kinds[kd]||0)+1;}
    if(kd==='village'){vs.push(l);}});
   vs.forEach(function(l){if(l.getPopup()){l.openPopup();var cs=document.querySelectorAll('.leaflet-popup-content');
    pops.push(cs.length?cs[cs.length-1].textContent:'');l.closePopup();}});}}
 var d=document.createElement('pre');d.id='cl-probe';d.style.display='none';
 d.textContent=JSON.stringify({maps:maps,kinds:kinds,popups:pops,errors:window.__errs,xss:window.__xss||0});
 document.body.appendChild(d);},300);});
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def open_in_chromium(html: str, tmp_path: Path, shot: Path | None = None) -> dict:
    """Load the page (probe injected) in headless Chromium; return the probe's findings."""
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    page = tmp_path / "page.html"
    page.write_text(html.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--window-size=1280,900"]
        p = subprocess.run(base + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
        if shot is not None:
            subprocess.run(base + [f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True,
                           timeout=120)
    found = re.search(r'<pre id="cl-probe"[^>]*>(.*?)</pre>', p.stdout, re.S)
    assert found, f"the probe did not report; chromium stderr: {p.stderr[-2000:]}"
    import html as html_mod

    return json.loads(html_mod.unescape(found.group(1)))


def red_pixels(png: Path) -> int:
    """Pixels of the gap-village red (#d7191c, possibly blended over the map)."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png.read_bytes())).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return int(((r > 180) & (g < 90) & (b < 90)).sum())


@pytest.mark.slow
def test_coverage_map_in_chromium(evil, tmp_path):
    html = maps.render_map(coverage_map(evil, tiles="none"))
    shot = tmp_path / "coverage_map.png"
    got = open_in_chromium(html, tmp_path, shot)
    assert got["errors"] == [] and got["maps"] == 1
    assert got["kinds"]["village"] == 8
    assert got["kinds"]["facility:postal"] == 1 and got["kinds"]["facility:shared"] == 1
    assert got["kinds"]["township"] == 1 and got["kinds"]["boundary"] == 1
    assert got["xss"] == 0  # the names' markup was shown as text, never run
    assert len(got["popups"]) == 8
    assert any(EVIL_VILLAGE in p for p in got["popups"])  # shown literally, as text
    assert any("<script>window.__xss=2</script>站 (HUB)" in p for p in got["popups"])  # nearest facility
    assert sum("测试村4" in p and "3,607 m" in p for p in got["popups"]) == 1  # the gap village's distance
    assert shot.exists() and shot.stat().st_size > 10_000
    assert red_pixels(shot) > 100  # two no-operator gap villages are drawn in red


@pytest.mark.slow
def test_embedded_county_map_in_chromium(tmp_path):
    """诸城市 (embedded, 259 villages): every village drawn, no JavaScript error, page under 1 MB."""
    path = ROOT / "data" / "counties" / "370782" / "scenario.toml"
    if not path.exists():
        pytest.skip("embedded dataset 370782 not built")
    res = compute_coverage(load_scenario(path))
    html = maps.render_map(coverage_map(res))
    assert len(html.encode("utf-8")) < 1_000_000
    got = open_in_chromium(html, tmp_path)
    assert got["errors"] == []
    assert got["kinds"]["village"] == len(res.villages)
    f = res.scenario.facilities
    for op in ("postal", "supply_coop", "courier", "shared"):
        assert got["kinds"].get(f"facility:{op}", 0) == int((f["operator"] == op).sum())
    assert got["kinds"]["township"] == res.villages["township_code"].nunique()


def test_layer_scripts_go_into_the_page_as_branca_renders_them(tiny):
    """layers._Js puts its script into the page as text instead of compiling it as a Jinja template the way
    branca's MacroElement.render does: the page is the same, also for a script with template syntax or a CR
    (which still go through Jinja)."""
    from branca.element import MacroElement

    from culture_logistics.reports.maps import layers
    from culture_logistics.reports.maps.assets import render_map

    class BrancaJs(layers._Js):
        render = MacroElement.render

    codes = ("var a=[1,2];\n", "var t='{{ 1 + 1 }}', u='{# note #}';", "var c='x\r\ny';", "var d='\\u007b{';")

    def page(cls):
        m = maps.base_map(load_scenario(tiny), "t", tiles="none")
        fg = maps.feature_group(m, "scripts")
        for code in codes:
            fg.add_child(cls(code))
        return render_map(m)

    ours, branca = page(layers._Js), page(BrancaJs)
    assert ours == branca
    assert "var a=[1,2];\n" in ours and "var t='2'" in ours and "var c='x\ny';" in ours


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_route_map_names_vehicles_as_the_driver_sheets_do(tmp_path, lang):
    """No fleet codes (light_van-1, trunk_van-1) in the route map: each vehicle is named as on its driver sheet."""
    from conftest import write_scenario as _write
    from culture_logistics.inputs.scenario import load_scenario as _load
    from culture_logistics.reports.maps import base as _maps
    from culture_logistics.reports.maps.routes import routes_map
    from culture_logistics.routing.plan import plan_routes

    plan = plan_routes(_load(_write(tmp_path / "c")), "shared")
    page = _maps.render_map(routes_map(plan, tiles="none", lang=lang))
    assert "light_van" not in page and "trunk_van" not in page
    assert ("邮政站-1号车" if lang == "zh" else "邮政站 van 1") in page
    assert ("轻型厢式货车" if lang == "zh" else "light van") in page
