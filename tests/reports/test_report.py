"""The county report: its figures equal the stages' summary.json, it renders in headless Chromium with no
JavaScript error and no sideways scrolling on a phone, and it prints to at most two A4 pages.
"""
from __future__ import annotations

import html as html_mod
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import LAT, LON0, chromium_path, run_cli, write_scenario
from culture_logistics.app.demo import run_demo
from culture_logistics.app.report import write_report
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.progress import Collector
from culture_logistics.reports.labels import TEXT, text
from culture_logistics.reports.report import saving_parts
from culture_logistics.reports.report_page import count_pdf_pages
from culture_logistics.resources import counties_dir


def _rows(page: str) -> dict[str, str]:
    """{data-key: the visible text of that row / box}, from the page."""
    out = {}
    for m in re.finditer(r'<(tr|div|p) [^>]*data-key="([^"]+)"[^>]*>(.*?)</\1>', page, re.S):
        out[m.group(2)] = html_mod.unescape(re.sub(r"<[^>]+>", " ", m.group(3)))
    return out


def _nums(s: str) -> list[str]:
    """The numbers of a text, with their sign (a negative saving must show as one)."""
    return re.findall(r"-?\d[\d,]*(?:\.\d+)?", s)


def check_figures(out: Path, page: str) -> None:
    """Every figure of the report against the summary.json it came from."""
    cov = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = _rows(page)
    nv, npop = cov["villages"], cov["population"]
    expect = {"reached": (cov["villages_reached"], cov["population_reached"]),
              "reached_any": (cov["villages_reached_any"], cov["population_reached_any"])}
    for op in cov["carriers"]:
        expect[f"by_operator.{op}"] = (cov["by_operator"][op]["villages_reached"],
                                       cov["by_operator"][op]["population_reached"])
    for key, (v, p) in expect.items():
        got = _nums(rows[key])
        assert got == [f"{v:,}", f"{nv:,}", f"{100 * v / nv:.1f}", f"{p:,}", f"{npop:,}", f"{100 * p / npop:.1f}"], key
    site = json.loads((out / "siting" / "summary.json").read_text(encoding="utf-8"))
    assert _nums(rows["sites_existing"]) == [f"{site['sites_existing']:,}"]
    assert _nums(rows["sites_new"]) == [f"{site['sites_new']:,}"]
    assert _nums(rows["villages_newly_reached"]) == [
        f"{site['after']['villages_reached'] - site['before']['villages_reached']:,}"]
    assert _nums(rows["population_newly_reached"]) == [
        f"{site['after']['population_reached'] - site['before']['population_reached']:,}"]
    assert _nums(rows["total_cost"]) == [f"{site['total_cost']:,.0f}"]
    rt = json.loads((out / "routing" / "summary.json").read_text(encoding="utf-8"))
    cmp = {r["metric"]: r for r in rt["comparison"]}
    a, b = rt["separate"], rt["shared"]
    for key, sep, sh, nd in (("vehicles", a["vehicles"], b["vehicles"], 0),
                             ("distance", a["distance_km"], b["distance_km"], 1),
                             ("cost", a["cost_cny"], b["cost_cny"], 2),
                             ("cost_per_parcel", a["cost_per_parcel_cny"], b["cost_per_parcel_cny"], 3)):
        got = re.findall(r"–|-?\d[\d,]*(?:\.\d+)?", rows[key])  # a missing figure (no parcels) shows as –
        assert got[:2] == ["–" if v is None else f"{v:,.{nd}f}" for v in (sep, sh)], key
        if cmp[key]["saving_pct"] is not None:
            assert got[2] == f"{cmp[key]['saving_pct']:.1f}", key
    if rt["saving_pct"] is not None:
        assert f"{rt['saving_pct']:.1f}" in _nums(rows["saving_pct"])
    # the saving split into the parts a reader adds up (vehicles' fixed cost, distance cost; they sum to the total)
    total = a["cost_cny"] - b["cost_cny"]
    parts = {"vehicles": a["cost_vehicles_cny"] - b["cost_vehicles_cny"],
             "distance": a["cost_distance_cny"] - b["cost_distance_cny"], "total": total}
    assert parts["vehicles"] + parts["distance"] == pytest.approx(total, abs=0.02)
    for part, v in parts.items():
        got = _nums(rows[f"saving_split.{part}"])
        want = [f"{v:,.2f}"] + ([f"{100 * v / total:.1f}"] if total > 0 else [])
        assert got[-len(want):] == want, part
    # visits per week (routing's weekly rule), the 邮快合作 baseline and the cost sharing, when the summary has them
    vw = rt.get("visits_per_week")
    if isinstance(vw, dict):
        got = _nums(rows["weekly_visits"])
        assert got[:3] in ([f"{vw['visits']:,}", f"{vw['villages']:,}", f"{vw['mean']:,.2f}"],
                           [f"{vw['villages']:,}", f"{vw['visits']:,}", f"{vw['mean']:,.2f}"]), got
        for n_visits, n_villages in vw["villages_by_visits"].items():
            assert f"{n_visits}" in got[3:] and f"{n_villages:,}" in got[3:]
    if "postal_courier" in rt:
        got = _nums(rows["postal_courier"])
        assert f"{rt['postal_courier']['cost_cny']:,.2f}" in got
        if rt["saving_vs_postal_courier_pct"] is not None:
            assert f"{rt['saving_vs_postal_courier_pct']:.1f}" in got
    # the cultural parcels inside the whole flow and their marginal cost (issue 20), when the comparison solved it
    n, m, per = (b.get(k) for k in ("cultural_parcels_per_day", "cultural_marginal_cost_cny_per_day",
                                    "cultural_cost_per_parcel_cny"))
    if isinstance(m, (int, float)):
        got = _nums(rows["cultural"])
        assert got == [f"{n:,}", f"{m:,.2f}"] + ([] if per is None else [f"{per:,.3f}"]), got
    else:
        assert "cultural" not in rows
    for o in (rt.get("cost_sharing") or {}).get("operators", []):
        got = _nums(rows[f"cost_sharing.{o['operator']}"])
        assert got[:5] == [f"{o['parcels']:,}", f"{o['standalone_cost']:,.2f}", f"{o['shapley_share']:,.2f}",
                           f"{o['proportional_share']:,.2f}", f"{o['saving_vs_standalone_pct']:.1f}"], o["operator"]


def over_capacity_scenario(tmp_path: Path) -> Path:
    """conftest's county with the postal township station limited to 10 parcels a day (it handles more).

    ``assignment = "township"``: there capacity_per_day is a stated figure the plan warns about; under the
    county-wide default it is a hard limit (the station gets vans for 10 parcels, no warning to pass on)."""
    fac = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 0.10:.2f},{LAT},,",
           f"P1,邮政站,postal,township,{LON0:.2f},{LAT},,10",
           f"C1,快递站,courier,village,{LON0 + 0.14:.2f},{LAT},中通,50"]
    return write_scenario(tmp_path / "cap", facilities=fac, toml_extra='[routing]\nassignment = "township"\n')


def test_every_text_has_both_languages():
    for key, pair in TEXT.items():
        assert len(pair) == 2 and all(isinstance(s, str) and s for s in pair), key
    assert text("target", "zh") == "国家目标：乡乡有网点、村村有服务（100%）"


@pytest.mark.slow
def test_report_figures_equal_the_summaries_and_progress_reports_warnings(tmp_path):
    scn_path = over_capacity_scenario(tmp_path)
    out = tmp_path / "out"
    events = Collector()
    res = run_demo(scn_path, out, time_limit_s=0.3, progress=events, pdf=False)
    page = (out / "report.html").read_text(encoding="utf-8")
    check_figures(out, page)
    # the demo passes every warning on: the station handles 60 parcels a day against capacity 10
    warnings = events.messages("warning")
    assert any("P1" in w and "capacity_per_day 10" in w for w in warnings), warnings
    assert len(events.messages("model")) >= 4   # coverage, siting models, routing models
    assert res["report"]["pdf"] is None
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "国家目标：乡乡有网点、村村有服务" in page and "合成数据" not in page   # not marked synthetic
    # the report of a folder that holds another county's outputs does not reuse them
    other = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    other["county"] = "999999"
    (out / "summary.json").write_text(json.dumps(other), encoding="utf-8")
    write_report(load_scenario(scn_path), out, lang="en", pdf=False, time_limit_s=0.3)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["county"] == "370782"
    check_figures(out, (out / "report.html").read_text(encoding="utf-8"))


def test_report_cli_errors(tmp_path):
    """In-process through click (the subprocess runs are in the slow tests)."""
    from click.testing import CliRunner

    from culture_logistics.cli import main

    (tmp_path / "afile").write_text("x")
    r = CliRunner().invoke(main, ["report", "370782", "--out", str(tmp_path / "afile")])
    assert r.exit_code == 2 and "is a file" in r.output
    r = CliRunner().invoke(main, ["report", "370782", "--out", str(tmp_path / "o"), "--lang", "fr"])
    assert r.exit_code == 2 and "'fr' is not one of 'zh', 'en'" in r.output
    r = CliRunner().invoke(main, ["demo", "--time-limit", "0", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--time-limit must be > 0" in r.output and not (tmp_path / "o").exists()
    for cmd in ("demo", "site", "report", "route", "coverage"):
        r = CliRunner().invoke(main, [cmd, "--help"])
        assert r.exit_code == 0 and "--lang" in r.output, cmd


PROBE = """<script>
window.__errs=[];
window.addEventListener('error',function(e){window.__errs.push(String(e.message||e));});
window.addEventListener('load',function(){
 var d=document.createElement('pre');d.id='cl-probe';d.style.display='none';
 d.textContent=JSON.stringify({errors:window.__errs,scrollW:document.documentElement.scrollWidth,
  innerW:window.innerWidth,svgs:document.querySelectorAll('svg').length,
  sections:Array.prototype.map.call(document.querySelectorAll('section'),function(s){return s.id;})});
 document.body.appendChild(d);});
</script>"""


def open_report(page: Path, tmp_path: Path, width: int) -> dict:
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                            f"--window-size={width},900", "--enable-logging=stderr", "--v=0",
                            "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
                           capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="cl-probe"[^>]*>(.*?)</pre>', p.stdout, re.S)
    assert m, p.stderr[-2000:]
    got = json.loads(html_mod.unescape(m.group(1)))
    got["console_errors"] = [ln for ln in p.stderr.splitlines() if "Uncaught" in ln or "CONSOLE" in ln and "rror" in ln]
    return got


@pytest.mark.slow
def test_county_report_renders_and_prints_on_two_a4_pages(tmp_path):
    """诸城市 (14 townships, 259 villages), both languages: no JS error, fits a phone, ≤ 2 A4 pages."""
    if chromium_path() is None:
        pytest.skip("no chromium binary")
    scn = load_scenario(counties_dir() / "370782" / "scenario.toml")
    out = tmp_path / "370782"
    for lang in ("zh", "en"):
        rep = write_report(scn, out, lang=lang, time_limit_s=0.3)
        page = out / "report.html"
        check_figures(out, page.read_text(encoding="utf-8"))
        assert rep.pdf_path == out / "report.pdf" and rep.pdf_path.is_file()
        data = rep.pdf_path.read_bytes()
        assert data.startswith(b"%PDF") and 1 <= count_pdf_pages(data) <= 2 and rep.pdf_pages == count_pdf_pages(data)
        boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
        assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)  # A4 in pt
        for width in (1280, 390):
            got = open_report(page, tmp_path, width)
            assert got["errors"] == [] and got["console_errors"] == [], got
            assert got["sections"] == ["kpis", "reach", "gaps", "siting", "routing", "sources"]   # issue 20: the indicators first
            assert got["svgs"] >= 3 and got["scrollW"] <= got["innerW"], (width, got)
    html = page.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in html and 'href="coverage_map.html"' in html and 'href="siting/siting.xlsx"' in html


@pytest.mark.slow
def test_report_command_and_demo_lang(tmp_path):
    out = tmp_path / "r"
    p = run_cli("report", "370782", "--out", out, "--time-limit", "0.3", "--no-pdf")
    assert p.returncode == 0, p.stderr
    assert (out / "report.html").is_file() and not (out / "report.pdf").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in page and "诸城市文化产品物流" in page
    assert "[routing]" in p.stderr   # one line per routing model
    check_figures(out, page)


def test_without_chromium_the_report_says_so(tmp_path, monkeypatch):
    from culture_logistics.app.coverage import run_coverage

    scn = load_scenario(write_scenario(tmp_path / "c"))
    out = tmp_path / "out"
    run_coverage(scn, out, with_map=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))   # no chromium on PATH
    rep = write_report(scn, out, lang="en", run_missing=False)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert rep.pdf_path is None and not (out / "report.pdf").exists()
    assert "Chromium is not on PATH" in rep.pdf_note and "Chromium is not on PATH" in page
    assert "No siting result" in page and "No routing result" in page   # stages not run: said, not invented
    cov = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert _nums(_rows(page)["reached"])[:2] == [f"{cov['villages_reached']:,}", f"{cov['villages']:,}"]


def _plan_summary(vehicles, km, fixed, distance):
    return {"vehicles": vehicles, "distance_km": km, "cost_vehicles_cny": fixed, "cost_distance_cny": distance,
            "cost_cny": fixed + distance, "cost_bus_cny": 0.0}


def test_saving_split_reads_the_natural_way():
    """24 vans at 250 CNY/day against 12: the vehicle part is +3,000 CNY/day, not a negative figure.

    separate 6,000 + 2,000 = 8,000 CNY/day, shared 3,000 + 1,800 = 4,800: saving 3,200 CNY/day, of which
    vehicles 3,000 (93.75 %, shown 93.8) and distance 200 (6.25 %, shown as Python rounds it, 6.2); the
    duplicated village visits are a note about those parts, not a part."""
    routing = {"separate": _plan_summary(24, 2000.0, 6000.0, 2000.0),
               "shared": _plan_summary(12, 1800.0, 3000.0, 1800.0),
               "saving_split": {"duplicated_visits": {"cny_per_day": 2534.17, "visits_removed": 250}}}
    parts, notes = saving_parts(routing, "zh")
    got = {p["key"]: (p["cny_per_day"], p["pct_of_saving"]) for p in parts}
    assert got == {"vehicles": (3000.0, 93.8), "distance": (200.0, round(6.25, 1)), "total": (3200.0, 100.0)}
    assert "24 → 12 辆" in parts[0]["label"]
    assert len(notes) == 1 and "250" in notes[0] and "已含在以上各项中" in notes[0]
    # shared drives 100 km more (distance part −100 CNY/day): the vehicle part is 103.4 % and a note says why
    routing["shared"] = _plan_summary(12, 2100.0, 3000.0, 2100.0)
    parts, notes = saving_parts(routing, "en")
    got = {p["key"]: (p["cny_per_day"], p["pct_of_saving"]) for p in parts}
    assert got == {"vehicles": (3000.0, 103.4), "distance": (-100.0, -3.4), "total": (2900.0, 100.0)}
    assert any("over 100 %" in n and "negative" in n for n in notes)
    assert sum(v for k, (v, _) in got.items() if k != "total") == got["total"][0]
    # no saving (shared costs more): no percentages of a saving that does not exist
    routing["shared"] = _plan_summary(30, 2500.0, 7500.0, 2500.0)
    parts, _ = saving_parts(routing, "zh")
    assert [p["pct_of_saving"] for p in parts] == [None, None, None]
    assert [p["cny_per_day"] for p in parts] == [-1500.0, -500.0, -2000.0]


def test_rates_of_nothing_show_a_dash_not_zero_percent(tmp_path):
    """A county whose populations are all 0: the population rates are undefined — "–", never "0.0 %" or "0 / 0"
    (the village rates, 3 of 8 = 37.5 %, are shown as usual)."""
    from culture_logistics.reports.report import build_report_html

    scn = load_scenario(write_scenario(tmp_path / "c"))
    cov = {"villages": 8, "population": 0, "villages_reached": 3, "population_reached": 0,
           "villages_reached_any": 3, "population_reached_any": 0, "carriers": [], "by_operator": {},
           "radius_m": 3000}
    page, figures = build_report_html(scn, {"coverage": cov}, [], [], tmp_path, lang="zh", date="2026-01-01")
    rows = _rows(page)
    assert "3 / 8" in rows["reached"] and "37.5 %" in rows["reached"]
    assert "0 / 0" not in page and "0.0 %" not in page
    assert rows["reached"].split()[-1] == "–"     # the population rate of the row
    assert figures["coverage"]["reached"]["population_pct"] is None


def test_embedded_data_note_in_the_reports_language():
    """郯城县's [data] note (English, from the dataset builder) is Chinese in a Chinese report, whole (no word cut:
    the sources list wraps with overflow-wrap, not word-break: break-all), and as written in English."""
    from culture_logistics.reports.report import data_note_text
    from culture_logistics.reports.report_page import CSS

    scn = load_scenario(counties_dir() / "371322" / "scenario.toml")
    zh = data_note_text(scn, "zh")
    assert "885,156" in zh and "20261126" in zh and not re.search(r"\b(Real|Synthetic|survey)\b", zh)
    assert data_note_text(scn, "en") == scn.data_note
    assert "break-all" not in CSS


def test_a_report_of_plans_at_another_effort_says_so(tmp_path):
    """``demo --effort 0.5``: every plan records the effort (summary.json ``params``, the peak plan's too) and the
    report's sources list says the plans were made on half the default search; at the default effort no such line."""
    path = write_scenario(tmp_path / "c")
    out = tmp_path / "half"
    run_demo(path, out, time_limit_s=2, pdf=False, report_lang="en", effort=0.5)
    for part in ("routing/shared", "routing/separate", "routing_peak"):
        assert json.loads((out / part / "summary.json").read_text(encoding="utf-8"))["params"]["effort"] == 0.5
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-key="effort"' in page and "planned at 0.5 × the default work budget" in page
    run_demo(path, tmp_path / "default", time_limit_s=2, pdf=False, report_lang="zh")
    page = (tmp_path / "default" / "report.html").read_text(encoding="utf-8")
    assert 'data-key="effort"' not in page and "默认搜索量" not in page
    assert "effort" not in json.loads((tmp_path / "default" / "routing" / "shared" / "summary.json")
                                      .read_text(encoding="utf-8"))["params"]
