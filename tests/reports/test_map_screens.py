"""Every map on a phone (390×844) and a desktop (1400×1000), in headless Chromium.

The coverage, siting and routes maps of 诸城市 (embedded, 259 villages) are opened with a probe script
injected into a copy of the page.  After load it measures, in the map's own container pixels, where
every village marker (routes: every last-mile stop) is drawn and where the county boundary's box is, reads
the scale bar, and whether the legend and the layer list are open; ``--dump-dom`` prints the findings.
Screenshots of the same windows are taken too (``CL_MAP_SHOTS=folder`` keeps them to look at).
"""
from __future__ import annotations

import html as html_mod
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, chromium_path
from culture_logistics import load_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.maps.coverage import coverage_map
from culture_logistics.reports.maps.routes import routes_map
from culture_logistics.reports.maps.screen import SMALL_SCREEN_PX
from culture_logistics.reports.maps.siting import siting_map
from culture_logistics.routing.plan import plan_routes
from culture_logistics.siting.solve import solve_siting

PROBE = """<script>
window.__errs=[];
window.addEventListener('error',function(e){window.__errs.push(String(e.message||e));});
window.addEventListener('load',function(){setTimeout(function(){
 var out={maps:0,errors:window.__errs};
 for(var k in window){var v;try{v=window[k];}catch(e){continue;}
  if(v&&window.L&&v instanceof L.Map){out.maps++;var s=v.getSize();out.w=s.x;out.h=s.y;out.zoom=v.getZoom();
   var pts={},box=null;
   v.eachLayer(function(l){var kd=l.options&&l.options.clKind;if(!kd)return;
    if(l.getLatLng){var p=v.latLngToContainerPoint(l.getLatLng());(pts[kd]=pts[kd]||[]).push([p.x,p.y]);}
    else if(kd==='boundary'&&l.getBounds){var b=l.getBounds(),a=v.latLngToContainerPoint(b.getNorthWest()),
     c=v.latLngToContainerPoint(b.getSouthEast());box=[a.x,a.y,c.x,c.y];}});
   out.points=pts;out.boundary=box;}}
 out.scale=[].map.call(document.querySelectorAll('.leaflet-control-scale-line'),function(e){return e.textContent;});
 var d=document.querySelector('.cl-legend details');out.legend_open=d?d.open:null;
 var lc=document.querySelector('.leaflet-control-layers');
 out.layers_expanded=lc?lc.classList.contains('leaflet-control-layers-expanded'):null;
 var t=document.querySelector('.cl-title');if(t){var r=t.getBoundingClientRect();out.title=[r.left,r.top,r.right,r.bottom];}
 var pre=document.createElement('pre');pre.id='cl-probe';pre.style.display='none';pre.textContent=JSON.stringify(out);
 (window.parent!==window?parent.document.body:document.body).appendChild(pre);},300);});
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENS = {"phone": (390, 844), "desktop": (1400, 1000)}
VILLAGE_KIND = {"coverage": "village", "siting": "village", "routes": "stop:last_mile"}


@pytest.fixture(scope="module")
def pages():
    """The three maps of 诸城市 (blank background: nothing fetched), and the scenario's village count."""
    path = ROOT / "data" / "counties" / "370782" / "scenario.toml"
    if not path.exists():
        pytest.skip("embedded dataset 370782 not built")
    scn = load_scenario(path)
    cov = compute_coverage(scn)
    site = solve_siting(scn, "mclp", k=5, coverage=cov)
    plan = plan_routes(scn, "shared", time_limit_s=0.3, seed=1)
    return {"coverage": maps.render_map(coverage_map(cov, tiles="none", lang="zh")),
            "siting": maps.render_map(siting_map(site, tiles="none", lang="zh")),
            "routes": maps.render_map(routes_map(plan, tiles="none", lang="en")),
            "_villages": len(scn.villages),
            "_stops": int(((plan.stops["stop_kind"] != "depot") & (plan.stops["echelon"] == "last_mile")).sum())}


def open_page(page_html: str, size: tuple[int, int], folder: Path, shot: Path | None = None) -> dict:
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    w, h = size
    page = folder / "page.html"
    page.write_text(page_html, encoding="utf-8")
    # headless Chromium's window is at least 500 px wide and --dump-dom keeps ~140 px of its height, so the
    # probed page runs in an iframe of exactly w×h (its media queries and window size are the iframe's)
    frame = folder / "frame.html"
    frame.write_text('<!DOCTYPE html><html><body style="margin:0"><iframe style="border:0;display:block;'
                     f'width:{w}px;height:{h}px" srcdoc="{html_mod.escape(page_html.replace("<head>", "<head>" + PROBE, 1))}">'
                     "</iframe></body></html>", encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=6000"]
        p = subprocess.run(base + [f"--window-size={max(w, 600) + 40},{h + 200}", "--dump-dom", frame.as_uri()],
                           capture_output=True, text=True, timeout=120)
        if shot is not None:  # the screenshot's viewport is the window size
            subprocess.run(base + [f"--window-size={w},{h}", f"--screenshot={shot}", page.as_uri()],
                           capture_output=True, timeout=120)
    found = re.search(r'<pre id="cl-probe"[^>]*>(.*?)</pre>', p.stdout, re.S)
    assert found, f"the probe did not report; chromium stderr: {p.stderr[-2000:]}"
    return json.loads(html_mod.unescape(found.group(1)))


@pytest.mark.slow
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("name", ["coverage", "siting", "routes"])
def test_map_fits_the_screen(pages, name, screen, tmp_path):
    w, h = SCREENS[screen]
    keep = os.environ.get("CL_MAP_SHOTS")
    shot = Path(keep) / f"{name}_{screen}.png" if keep else tmp_path / "shot.png"
    got = open_page(pages[name], (w, h), tmp_path, shot)
    assert got["errors"] == [] and got["maps"] == 1
    assert (got["w"], got["h"]) == (w, h)  # the map fills the window
    pts = got["points"][VILLAGE_KIND[name]]
    assert len(pts) == (pages["_stops"] if name == "routes" else pages["_villages"])
    outside = [p for p in pts if not (0 <= p[0] <= w and 0 <= p[1] <= h)]
    assert outside == [], f"{len(outside)} villages outside the {w}×{h} window"
    # no village hidden under the title box
    tl, tt, tr, tb = got["title"]
    assert not [p for p in pts if tl <= p[0] <= tr and tt <= p[1] <= tb]
    x0, y0, x1, y1 = got["boundary"]
    assert (x1 - x0) / w >= 0.6, f"the county spans only {(x1 - x0) / w:.0%} of the width"
    assert x0 >= -2 and x1 <= w + 2 and y1 <= h + 2  # the whole county is on screen
    # one scale bar, metric only
    assert len(got["scale"]) == 1 and re.fullmatch(r"\d+ (m|km)", got["scale"][0]), got["scale"]
    small = w <= SMALL_SCREEN_PX
    assert got["legend_open"] is (not small)
    assert got["layers_expanded"] is (not small)
    assert shot.exists() and shot.stat().st_size > 10_000
