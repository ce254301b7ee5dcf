"""One language per run on the console and in the unserved-stop words (issue 21, item 5).

The console lines come from :mod:`culture_logistics.reports.console`; the reasons and fixes of unserved stops
from :func:`culture_logistics.reports.labels.reason_text` / :func:`~culture_logistics.reports.labels.fix_text`.
The slow test runs ``demo`` in both languages and reads every console line.
"""
from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli, station_capacity_scenario, write_scenario
from culture_logistics.reports.console import (
    CONSOLE_TEXT,
    batch_line,
    console_text,
    day_note,
    model_line,
    pdf_note_text,
)
from culture_logistics.reports.labels import FIX_TEXTS, REASON_TEXTS, fix_text, reason_label, reason_text

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
#: A path, a file name, an option, a code (digits, ``_``, ``-``, ``.``, ``@``, ``:``, ``+``, ``=``, ``[``) or a number.
_NOT_WORDS = re.compile(r"\S*[/\\]\S*|\S+\.(?:csv|xlsx|html|json|gpkg|toml|md|pdf)\b|--?[\w-]+|\S*[\d_@=\[\]]\S*")
_SENTENCE = re.compile(r"\b[A-Za-z]+(?:[ ,;:]+[A-Za-z]+){2,}\b")


def english_sentences(line: str) -> list[str]:
    """Runs of three or more English words in ``line``, once paths, file names, options, codes and numbers
    are taken out (``MCLP``, ``PDF`` alone are words of the trade, not sentences)."""
    return _SENTENCE.findall(_NOT_WORDS.sub(" | ", line))


def test_the_checker_finds_sentences_and_spares_codes():
    assert english_sentences("[done] 20.7 s; outputs in /tmp/x") == ["s; outputs in"]
    assert english_sentences("  WARNING [routing] separate: 3 townships have no station") == \
        ["townships have no station"]
    assert english_sentences("[report] /tmp/a b c/report.html；未要求生成 PDF（0.4 秒）") == []
    assert english_sentences("  [routing] 邮政干线：4 个站点，自 371322-PC-001 出发") == []
    assert english_sentences("见 summary.json villages_moved；assignment = \"county\"") == []
    assert english_sentences("加大 --time-limit 可得到 MCLP 与 LSCP") == []


def test_every_console_line_has_both_languages_and_no_english_sentence_in_chinese():
    for key, (en, zh) in CONSOLE_TEXT.items():
        assert en and zh and en != zh, key
        assert CJK.search(zh), key
        assert english_sentences(re.sub(r"\{[^}]*\}", "0", zh)) == [], (key, zh)
        assert not CJK.search(en), key
    assert console_text("done", "zh", seconds=20.71, out="/tmp/x") == "[done] 用时 20.7 秒；输出在 /tmp/x"
    assert console_text("done", "en", seconds=20.71, out="/tmp/x") == "[done] 20.7 s; outputs in /tmp/x"
    assert pdf_note_text("PDF not requested", "zh") == "未要求生成 PDF"
    assert pdf_note_text("PDF not requested", "en") == "PDF not requested"


@pytest.mark.parametrize("line, zh", [
    ("postal last mile: 125 villages from 13 stations (county-wide model 1)", "邮政末端：125 个村，13 个站点（全县模型 1）"),
    ("shared last mile: 12 villages from 371322-XS-004", "共同配送末端：12 个村，自 371322-XS-004 出发"),
    ("last mile: 3 villages no block could serve, from 2 stations with room",
     "末端：3 个村无分块可配送，由 2 个尚有余量的站点配送"),
    ("supply_coop trunk: 4 stations from 371322-SC-001", "供销社干线：4 个站点，自 371322-SC-001 出发"),
    ("postal_courier courier trunk: 7 stations from 371322-CC-001", "邮快合作 快递干线：7 个站点，自 371322-CC-001 出发"),
    ("coalition postal+supply_coop: planning its parcels on the shared network", "联盟 邮政+供销社：在共享网络上规划其包裹"),
    ("day 3: shared trunk: 8 stations from HUB", "第 3 天：共同配送干线：8 个站点，自 HUB 出发"),
    ("without cultural parcels: shared last mile: 125 villages from 13 stations (county-wide model 1)",
     "不含文化包裹：共同配送末端：125 个村，13 个站点（全县模型 1）"),
    ("peak: last mile: 56 villages no block could serve, from 12 stations with room",
     "高峰：末端：56 个村无分块可配送，由 12 个尚有余量的站点配送"),
])
def test_routing_model_lines_in_chinese(line, zh):
    assert model_line(line, "zh") == zh
    assert model_line(line, "en") == line


# (reason code, routing's sentence, its Chinese): one per template of REASON_TEXTS, in routing's words
REASONS = [
    ("unreachable", "unreachable on the road network: its depot P1 is 812 m from the road network (more than "
     "max_access_m = 500 m)", "路网不可达：出发站 P1 距路网 812 米（超过 max_access_m = 500 米）"),
    ("unreachable", "unreachable on the road network: its point is 1234 m from the road network's main component "
     "(more than max_access_m = 500 m)", "路网不可达：该点距路网主体 1234 米（超过 max_access_m = 500 米）"),
    ("unreachable", "unreachable on the road network: no road path between it and the depot (one-way roads?)",
     "路网不可达：与出发站之间无道路连通（单行道？）"),
    ("demand_exceeds_capacity", "demand larger than any vehicle: 40 parcels to deliver, 2 to pick up, largest vehicle "
     "light_van carries 30", "件量超过最大车辆容量：送达 40 件、揽收 2 件，最大车型轻型厢式货车载量 30 件"),
    ("beyond_shift", "farther than a shift allows: the round trip to it alone ends 17 min after the depot's closing "
     "time 18:00 (the station's vehicles leave at 10:30, when the trunk has unloaded there)",
     "超出班次时长：单独往返也要在出发站 18:00 关门后 17 分钟才结束（干线到站卸货后，站点车辆 10:30 出发）"),
    ("beyond_shift", "farther than a shift allows: the round trip to it alone ends 9 min after the e_trike's shift "
     "of 5 h", "超出班次时长：单独往返也比电动三轮车的 5 小时班次多 9 分钟"),
    ("time_window", "time window closes at 09:00 but the earliest arrival is 09:40",
     "时间窗 09:00 关闭，但最早 09:40 才能到达"),
    ("station_capacity", "station capacity used up: station P1 密州邮政站 may send out at most 25 parcels a day "
     "(capacity_per_day) and its vans leave with 20; 5 left for this stop's 10",
     "站点日处理能力已满：P1 密州邮政站 每天最多发出 25 件（capacity_per_day），车辆已装 20 件，只剩 5 件，不够本站点的 10 件"),
    ("station_capacity", "station capacity used up: station P1 密州邮政站 may send out at most 25 parcels a day "
     "(capacity_per_day); the vans that add up to it leave with 20 and cannot take this stop's 5 as well",
     "站点日处理能力已满：P1 密州邮政站 每天最多发出 25 件（capacity_per_day），车辆已装 20 件，无法再带本站点的 5 件"),
    ("fleet_too_small", "fleet too small for the day: the stop can be served on its own, but the vehicles at P1 "
     "cannot serve it together with the other stops within capacity and shift limits",
     "车辆不足：该站点可单独配送，但 P1 的车辆在载量和班次限制内无法同时配送它和其他站点"),
    ("fleet_too_small", "fleet too small for the day: no vehicle at P1 ([[fleet]] gives postal/last_mile count = 0)",
     "车辆不足：P1 没有车辆（[[fleet]] 中 postal/last_mile 的 count = 0）"),
    ("fleet_too_small", "the solver found no plan at all in 16.0 s (the stop can be served on its own); run again "
     "with a longer --time-limit", "求解器在 16.0 秒内未找到任何方案（该站点可单独配送）；请加大 --time-limit 重新运行"),
    ("no_depot", "supply_coop has no county depot or township station in the county", "供销社在本县没有县级仓库或乡镇站点"),
    ("beyond_range", "beyond the vehicles' range: the out-and-back trip to it alone is 10.8 km, the e_tricycle's "
     "range_km is 10", "超出车辆续航里程：单独往返也需 10.8 公里，电动三轮车的 range_km 为 10"),
    ("fleet_too_small", "fleet too small for the day: the stop can be served on its own, but the vehicles at P1 "
     "cannot serve it together with the other stops within capacity and shift limits and range",
     "车辆不足：该站点可单独配送，但 P1 的车辆在载量、班次和续航限制内无法同时配送它和其他站点"),
    ("driving_rule", "driving-time rule: the drive between it and the depot alone takes 4.5 h by e_trike, more than "
     "4 h of continuous driving, then a rest of at least 20 min (道路交通安全法实施条例 第六十二条); rests are taken at "
     "stops", "连续驾驶时间规定：电动三轮车在该点与出发站之间单程行驶就需 4.5 小时，超过《道路交通安全法实施条例》第六十二条"
              "连续驾驶4小时的上限（休息只能在站点进行）"),
    ("driving_rule", "driving-time rule: the routes that could serve it need the rests of 4 h of continuous driving, "
     "then a rest of at least 20 min (道路交通安全法实施条例 第六十二条), and with them they no longer fit the shift and "
     "the depot's hours", "连续驾驶时间规定：可服务该点的线路需按《道路交通安全法实施条例》第六十二条在连续驾驶4小时内"
                         "停车休息至少20分钟，加上休息后超出班次和出发站营业时间"),
]

FIXES = [
    ("move depot P1 next to a road, or add the road it stands on to the road file",
     "把出发站 P1 移到道路旁，或在路网文件中加入它所在的道路"),
    ("add the road that reaches it to the road file, or raise [network] max_access_m to 1300",
     "在路网文件中加入通往该点的道路，或把 [network] max_access_m 提高到 1300"),
    ("check the road file's one-way tags around it", "检查路网文件中该点附近道路的单行标记"),
    ("a larger vehicle: one light_van of capacity 42 instead of 30 at P1", "换一辆更大的车：P1 的一辆轻型厢式货车载量由 30 件增至 42 件"),
    ("one more vehicle of capacity 42 (light_van with capacity 42) at P1", "P1 增加一辆载量 42 件的车（轻型厢式货车）"),
    ("shift longer by 20 min: e_trike max_shift_h 5 → 5.33, depot open until 18:20 (confirmed for these 2 stops "
     "together)", "班次延长 20 分钟：电动三轮车 max_shift_h 5 → 5.33，出发站营业至 18:20（这 2 个站点一并验证）"),
    ("keep its time window open until 09:55", "把该站点的时间窗延长到 09:55"),
    ("raise capacity_per_day of station P1 密州邮政站 from 25 to 45 in facilities.csv (confirmed for these 2 stops "
     "together)", "在 facilities.csv 中把 P1 密州邮政站 的 capacity_per_day 由 25 提高到 45（这 2 个站点一并验证）"),
    ("raise capacity_per_day of station P1 密州邮政站 from 25 to at least 35 in facilities.csv (not checked: "
     "diagnosis is off ([routing] diagnose = false))",
     "在 facilities.csv 中把 P1 密州邮政站 的 capacity_per_day 由 25 提高到至少 35（未验证：诊断已关闭，[routing] diagnose = false）"),
    ("one more van25 (capacity 25) at P1; serves 1 other dropped stop(s) too",
     "P1 增加 1 辆van25（载量 25 件）；同时配送另外 1 个未服务站点"),
    ("4 more light_van (capacity 30) at P1 (2 were not enough)", "P1 增加 4 辆轻型厢式货车（载量 30 件）（2 辆不够）"),
    ("shifts longer by 60 min at P1 (depot open until 19:00)", "P1 班次延长 60 分钟（出发站营业至 19:00）"),
    ("one more light_van at P1 (not confirmed by a re-solve within the diagnosis budget ([routing] max_resolves))",
     "P1 增加 1 辆轻型厢式货车（未在诊断预算内经重新求解确认，[routing] max_resolves）"),
    ("add a courier township station or county depot to facilities.csv (or let the shared network carry its parcels)",
     "在 facilities.csv 中为快递增加一个乡镇站点或县级仓库（或由共享网络配送其包裹）"),
    ("a vehicle with range_km ≥ 11 (the ev_van has 8.5) at P1", "P1 使用 range_km ≥ 11 的车辆（微型电动厢式车为 8.5）"),
    ("serve it from a station nearer to it, or with a faster vehicle than the e_trike",
     "改由更近的站点配送，或使用比电动三轮车更快的车辆"),
]


@pytest.mark.parametrize("code, reason, zh", REASONS)
def test_unserved_reasons_in_chinese(code, reason, zh):
    assert reason_text(code, reason, "zh") == zh
    assert reason_text(code, reason, "en") == reason


@pytest.mark.parametrize("fix, zh", FIXES)
def test_unserved_fixes_in_chinese(fix, zh):
    assert fix_text(fix, "zh") == zh
    assert fix_text(fix, "en") == fix


def test_every_template_is_exercised_and_unknown_words_stay_chinese():
    assert len(REASONS) == sum(len(v) for v in REASON_TEXTS.values())
    assert len(FIXES) >= len(FIX_TEXTS)
    assert reason_text("time_window", "something new", "zh") == "时间窗过早关闭"   # the code's label
    assert fix_text("something new", "zh") == "见 unserved.csv 的 smallest_fix 列"


def test_unserved_sheet_and_map_in_chinese_while_unserved_csv_keeps_its_columns(tmp_path):
    """One station of capacity 25 with two vans of 25 and four villages of 10 parcels: two are left out for the
    station's capacity (as in tests/reports/test_routes.py).  The zh workbook's unserved sheet and the map's popups
    give the reason and the fix in Chinese; unserved.csv keeps reason_code and routing's sentences."""
    import pandas as pd

    from culture_logistics.inputs.scenario import load_scenario
    from culture_logistics.reports.routes import write_plan
    from culture_logistics.routing.plan import plan_routes

    scn = station_capacity_scenario(tmp_path / "cap")
    plan = plan_routes(load_scenario(scn), "shared")
    assert list(plan.unserved["reason_code"]) == ["station_capacity", "station_capacity"]
    write_plan(plan, tmp_path / "zh", True, "none", "zh")
    u = pd.read_csv(tmp_path / "zh" / "unserved.csv", encoding="utf-8-sig", dtype=str)
    assert list(u["reason_code"]) == ["station_capacity"] * 2
    assert all(r.startswith("station capacity used up: station P1") for r in u["reason"])
    ws = openpyxl.load_workbook(tmp_path / "zh" / "route_sheets.xlsx")["未服务"]
    rows = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    head = next(r for r in rows if "原因" in r)
    body = [r for r in rows[rows.index(head) + 1:] if len(r) == len(head)]
    assert len(body) == 2
    for r in body:
        reason, fix = r[head.index("原因")], r[head.index("最小改动")]
        assert reason.startswith("站点日处理能力已满：P1 密州邮政站 每天最多发出 25 件"), reason
        assert fix.startswith("在 facilities.csv 中把 P1 密州邮政站 的 capacity_per_day 由 25 提高到"), fix
        assert english_sentences(reason) == [] and english_sentences(fix) == []
    page = (tmp_path / "zh" / "routes_map.html").read_text(encoding="utf-8")
    assert "站点日处理能力已满：P1 密州邮政站" in page and "station capacity used up" not in page


# ------------------------------------------------------------------------------------------ the demo's console
def _demo(tmp_path: Path, *lang: str) -> subprocess.CompletedProcess:
    """``culture-logistics demo`` on 郯城县 (the smallest embedded county), 0.3 s safety cap per model."""
    return run_cli("demo", "--county", "371322", "--out", tmp_path / "demo", "--no-pdf", "--time-limit", "0.3", *lang,
                   timeout=300)


@pytest.mark.slow   # two demos of 郯城县 (125 villages), ~20 s each at load 1
def test_demo_console_in_one_language(tmp_path):
    from culture_logistics.app.demo import county_scenario
    from culture_logistics.inputs.scenario import load_scenario

    zh = _demo(tmp_path / "zh")
    assert zh.returncode == 0, zh.stderr[-3000:]
    lines = (zh.stdout + zh.stderr).splitlines()
    assert any(ln.startswith("[load] 371322 郯城县：") for ln in lines) and any(ln.startswith("[done] 用时") for ln in lines)
    assert any("[routing] 共同配送干线" in ln for ln in lines)
    bad = [(ln, s) for ln in lines for s in english_sentences(ln)]
    assert bad == [], bad

    en = _demo(tmp_path / "en", "--lang", "en")
    assert en.returncode == 0, en.stderr[-3000:]
    scn = load_scenario(county_scenario("371322"))
    # place and facility names come from the data; 邮快合作 is the policy's own name (as in the maps and workbooks)
    names = sorted({"邮快合作", scn.name, *scn.townships["name"], *scn.villages["name"], *scn.facilities["name"]},
                   key=len, reverse=True)
    lines = (en.stdout + en.stderr).splitlines()
    assert any(ln.startswith("[done] ") and " s; outputs in " in ln for ln in lines)
    for ln in lines:
        rest = ln
        for n in names:
            rest = rest.replace(n, "")
        assert not CJK.search(rest), ln


def test_batch_notes_and_failures_in_chinese():
    line = "370102 历下区: failed at load: ScenarioError: villages.csv row 3: lon is not a number"
    assert batch_line(line, "zh") == "  失败 370102 历下区：在 load 步骤失败：ScenarioError: villages.csv row 3: lon is not a number"
    assert batch_line(line, "en") == f"  FAILED {line}"
    note = ("note: the Dask cluster failed (RuntimeError: Nanny failed to start); running the 3 remaining counties in "
            "this process")
    assert batch_line(note, "zh") == "  说明：Dask 集群出错（RuntimeError: Nanny failed to start）；其余 3 个县在本进程中计算"
    assert batch_line(note, "en") == f"  {note}"


def _small_county(tmp_path: Path) -> Path:
    """The small county of tests/conftest.py (villages in a row, its stations and the county hub), default fleet."""
    return write_scenario(tmp_path / "small", toml_extra="[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 0.3\n")


@pytest.mark.parametrize("lang", [(), ("--lang", "en")])
def test_route_and_site_console_follow_lang(tmp_path, lang):
    """``route`` (header, notes, "Wrote N files") and ``site`` (every line) in the run's language."""
    from click.testing import CliRunner

    from culture_logistics.cli.routing import route
    from culture_logistics.cli.siting import site

    scn = _small_county(tmp_path)
    rt = CliRunner().invoke(route, [str(scn), "--mode", "shared", "--out", str(tmp_path / "r"), "--no-map",
                                    "--quiet", *lang])
    assert rt.exit_code == 0, rt.output
    st = CliRunner().invoke(site, [str(scn), "--out", str(tmp_path / "s"), "--no-map", "--k", "1", *lang])
    assert st.exit_code == 0, st.output
    out = rt.output.splitlines() + st.output.splitlines()
    if lang:
        assert out[0].endswith(": routing, mode shared") and any(ln.startswith("Wrote ") for ln in out)
        assert any(ln.startswith("  villages reached:") for ln in out)
        from culture_logistics.inputs.scenario import load_scenario

        sc = load_scenario(scn)
        names = sorted({sc.name, *sc.townships["name"], *sc.villages["name"], *sc.facilities["name"]}, key=len,
                       reverse=True)
        rest = [ln for ln in out if CJK.search(functools.reduce(lambda a, n: a.replace(n, ""), names, ln))]
        assert rest == [], rest
    else:
        assert out[0].endswith("：线路规划，共同配送"), out[0]
        assert any(ln.startswith("已写出 ") for ln in out) and any(ln.startswith("  覆盖村数：") for ln in out)
        bad = [(ln, s) for ln in out for s in english_sentences(ln)]
        assert bad == [], bad


@pytest.mark.slow   # a local Dask cluster of one worker and the coverage of one generated county (~15 s)
def test_batch_console_in_chinese_by_default(tmp_path):
    pytest.importorskip("distributed")
    from click.testing import CliRunner

    from culture_logistics.cli.batch import batch

    r = CliRunner().invoke(batch, ["--counties", "370572", "--workers", "1", "--no-progress",
                                   "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("批量 1 个县（coverage）：完成 1 个"), lines[0]
    bad = [(ln, s) for ln in lines for s in english_sentences(ln)]
    assert bad == [], bad


def test_weekly_note_in_the_runs_language():
    """``route --weekly`` prints its first note; a note of day N is put in words like the daily plan's."""
    note = ('day 1: 59 village(s) are served from another township\'s station (assignment = "county"; listed in '
            'summary.json villages_moved)')
    assert day_note(note, "zh") == '第 1 天：59 个村由其他乡镇的站点配送（assignment = "county"；见 summary.json villages_moved）'
    assert day_note(note, "en") == note


def test_batch_progress_bar_and_step_times_in_chinese():
    from culture_logistics.batch import runner

    assert runner._Progress(3, False, "zh")._text().startswith("完成 0  失败 0  跳过 0  预计剩余 ")
    assert runner._Progress(3, False)._text().startswith("done 0  failed 0  skipped 0  ETA ")
    assert console_text("batch_steps", "zh", steps="load 0.4, coverage 1.2") == \
        "  各步骤每县平均用时（秒）：load 0.4, coverage 1.2；各县明细见 batch_summary.json（county_step_seconds）"


def test_peak_line_names_the_reasons_in_the_console_language():
    from culture_logistics.reports.routes import peak_lines

    s = {"peak_scale": 2.0, "vehicles": 115, "distance_km": 3520.1, "cost_cny": 38839.39, "unserved_stops": 36,
         "unserved_by_reason": {"station_capacity": 18, "fleet_too_small": 18}}
    zh = peak_lines(s, Path("/tmp/p"), 22.4, "zh")[0]
    assert zh == ("[peak] 高峰（全部流量 ×2）共同配送：115 辆车，3,520 公里，38,839 元/天；未服务 36 个站点（"
                  f"{reason_label('fleet_too_small', 'zh')} 18，{reason_label('station_capacity', 'zh')} 18）")
    assert "fleet_too_small" not in zh
    en = peak_lines(s, Path("/tmp/p"), 22.4, "en")[0]
    assert en.endswith("; 36 stop(s) unserved (fleet_too_small 18, station_capacity 18)")
