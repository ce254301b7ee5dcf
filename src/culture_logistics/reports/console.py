"""The console lines of the commands in one language (``--lang``): one i18n table and the model-line translator.

* :func:`console_text` — every summary line the commands print (``[load]``, ``[report]``, ``[done]``, ``route``'s
  and ``site``'s lines, ``Wrote N files``, the batch's lines …), from :data:`CONSOLE_TEXT` ``{key: (en, zh)}``;
* :func:`model_line` — a solver model line as routing reports it (``"postal trunk: 4 stations from X"``) in
  ``lang``: routing speaks English to its callers, the console follows ``--lang``;
* :func:`pdf_note_text` — why ``report.pdf`` was not written, in ``lang``.

The CLI only parses and prints: it takes its lines from here.  Codes (station ids, adcodes), numbers, file
paths and place names stay as they are in both languages.
"""
from __future__ import annotations

import re

from culture_logistics.config.model import OPERATOR_ZH
from culture_logistics.reports.notes import group_warnings

#: {key: (en, zh)}; ``{name}`` fields are filled by :func:`console_text`.
CONSOLE_TEXT = {
    # demo
    "load": ("[load] {adcode} {name}: {villages} villages in {townships} townships, {facilities} facilities, "
             "road graph {nodes:,} nodes ({seconds:.1f} s)",
             "[load] {adcode} {name}：{townships} 个乡镇 {villages} 个村，设施 {facilities} 个，"
             "路网 {nodes:,} 个节点（{seconds:.1f} 秒）"),
    "load_synthetic": ("       coordinates, populations, facilities and roads are synthetic "
                       "(see data/counties/README.md)",
                       "       村庄坐标、人口、设施与道路为合成数据（见 data/counties/README.md）"),
    "report": ("[report] {html}{pdf} ({seconds:.1f} s)", "[report] {html}{pdf}（{seconds:.1f} 秒）"),
    "report_pdf": (", {name} ({pages} A4 pages)", "，{name}（A4 {pages} 页）"),
    "report_no_pdf": ("; {note}", "；{note}"),
    "done": ("[done] {seconds:.1f} s; outputs in {out}", "[done] 用时 {seconds:.1f} 秒；输出在 {out}"),
    "warnings_above": ("{n} warning(s), listed above (on stderr)", "{n} 条警告，见上文（stderr）"),
    "started": ("started", "开始"),
    "siting_nothing": ("[siting] every village is already reached; nothing to site",
                       "[siting] 所有村庄均已覆盖，无需选址"),
    "model_mclp": ("MCLP, at most {k} sites, {gaps} gap villages", "MCLP：最多 {k} 个站点，缺口村 {gaps} 个"),
    "model_lscp": ("LSCP, fewest sites reaching every reachable gap village", "LSCP：覆盖所有可达缺口村的最少站点"),
    "model_solve": ("{model}: candidates, reach matrix and {solver} solve", "{model}：候选点、可达矩阵与 {solver} 求解"),
    "model_write": ("writing the tables, siting.xlsx", "写出表格与 siting.xlsx"),
    "model_write_map": ("writing the tables, siting.xlsx and the map", "写出表格、siting.xlsx 与地图"),
    # route
    "route_head": ("{adcode} {name}: routing, mode {mode}", "{adcode} {name}：线路规划，{mode}"),
    "route_weekly": (", weekly plan", "，周计划"),
    "synthetic": (" (synthetic data: coordinates, populations, facilities and roads are generated)",
                  "（合成数据：村庄坐标、人口、设施与道路为生成数据）"),
    "mode_shared": ("shared", "共同配送"), "mode_separate": ("separate", "各自配送"),
    "mode_compare": ("compare", "对比共同配送与各自配送"),
    "notes_eg": ("{n} note(s) on the data (all in summary.json), e.g. {first}",
                 "数据说明 {n} 条（全部见 summary.json），例如：{first}"),
    "notes_head": ("{n} note(s) on the data (all in summary.json):", "数据说明 {n} 条（全部见 summary.json）："),
    "notes_more": ("  … and {n} more", "  ……另有 {n} 条"),
    "wrote": ("Wrote {n} files to {out} in {seconds:.1f} s", "已写出 {n} 个文件到 {out}（{seconds:.1f} 秒）"),
    "unserved": ("  {mode}: {n} stop(s) unserved — see {path}", "  {mode}：{n} 个站点未服务——见 {path}"),
    "cap_warning": ("warning: the solver's time cap ended {n} model(s) before their work budget ({names}{more}): "
                    "these routes may differ on another run or machine (summary.json: reproducible = false). "
                    "Raise --time-limit for reproducible plans.",
                    "警告：求解器的时间上限在工作预算用完前结束了 {n} 个模型（{names}{more}）：换一次运行或换一台机器，"
                    "这些线路可能不同（summary.json：reproducible = false）。加大 --time-limit 可得到可复现的方案。"),
    "cap_more": (" and {n} more", " 等，另有 {n} 个"),
    "wrote_file": ("Wrote {path}", "已写出 {path}"),
    "wrote_pdf": ("Wrote {path} ({pages} A4 page{s})", "已写出 {path}（A4 {pages} 页）"),
    # coverage
    "wrote_coverage": ("Wrote {n} files to {out}{size} in {seconds:.1f} s (load {load:.1f} s)",
                       "已写出 {n} 个文件到 {out}{size}（{seconds:.1f} 秒，读取 {load:.1f} 秒）"),
    "map_size": (" (coverage_map.html {mb:.2f} MB)", "（coverage_map.html {mb:.2f} MB）"),
    # site
    "site_head": ("{adcode} {name}: {model}", "{adcode} {name}：{model}"),
    "site_k": (", K={k}", "，K={k}"), "site_budget": (", budget {budget:,.0f} CNY", "，预算 {budget:,.0f} 元"),
    "site_radius": (", radius {radius:.0f} m", "，半径 {radius:.0f} 米"),
    "site_synthetic": ("  (synthetic data: coordinates, populations, facilities and roads are generated)",
                       "  （合成数据：村庄坐标、人口、设施与道路为生成数据）"),
    "site_gaps": ("  gap villages: {gaps} ({none} with no candidate in reach)",
                  "  缺口村：{gaps} 个（其中 {none} 个无候选点可达）"),
    "site_villages": ("  villages reached:   {before:>7,} → {after:>7,} of {total:,}",
                      "  覆盖村数：{before:>7,} → {after:>7,}（共 {total:,}）"),
    "site_people": ("  population reached: {before:>7,} → {after:>7,} of {total:,}",
                    "  覆盖人口：{before:>7,} → {after:>7,}（共 {total:,}）"),
    "site_sites": ("  sites: {sites} ({existing} converted, {new} new), {cost:,.0f} CNY",
                   "  站点：{sites} 个（改造 {existing}，新建 {new}），{cost:,.0f} 元"),
    "site_objective": ("  objective {objective:,.1f} {unit}; bound {bound:,.1f}; {proof}; solve {seconds:.2f} s",
                       "  目标值 {objective:,.1f} {unit}；下界 {bound:,.1f}；{proof}；求解 {seconds:.2f} 秒"),
    "site_optimal": ("optimal (proved)", "已证明最优"),
    "site_gap": ("NOT proved optimal: gap {gap:.3f}% to the bound", "未证明最优：距下界 {gap:.3f}%"),
    "site_wrote": ("  wrote {files} to {out}", "  已写出 {files} 到 {out}"),
    # batch
    "batch_head": ("Batch of {counties} counties ({steps}): {ok} planned, {failed} failed, {skipped} skipped "
                   "(already done); {computed} computed on {workers} worker(s) in {seconds:.1f} s",
                   "批量 {counties} 个县（{steps}）：完成 {ok} 个，失败 {failed} 个，跳过 {skipped} 个（已完成）；"
                   "{workers} 个工作进程计算 {computed} 个，用时 {seconds:.1f} 秒"),
    "batch_reach": ("  villages reached by every operator: {reached:,}/{villages:,} ({rate:.1%}); "
                    "population {people:,}/{population:,}",
                    "  全部运营方覆盖村数：{reached:,}/{villages:,}（{rate:.1%}）；人口 {people:,}/{population:,}"),
    "batch_steps": ("  seconds per county by step (mean): {steps}; per county in batch_summary.json (county_step_seconds)",
                    "  各步骤每县平均用时（秒）：{steps}；各县明细见 batch_summary.json（county_step_seconds）"),
    "bar_counties": ("counties", "县"),
    "bar_counts": ("done {done}  failed {failed}  skipped {skipped}  ETA {eta}",
                   "完成 {done}  失败 {failed}  跳过 {skipped}  预计剩余 {eta}"),
    "batch_memory": ("  peak memory per worker: {mb}", "  每个工作进程的内存峰值：{mb}"),
    "batch_files": ("  {reach}, {map} ({kb:.0f} KB), {failures}", "  {reach}，{map}（{kb:.0f} KB），{failures}"),
    "batch_failed": ("  {n} county(ies) failed: see {failures}; a re-run retries them",
                     "  {n} 个县失败：见 {failures}；再次运行会重试"),
    "batch_failed_line": ("  FAILED {line}", "  失败 {line}"),
    "batch_resume": ("every county already finished is kept (DIR/<adcode>/_done.json); "
                     "run the same command again to resume",
                     "已完成的县均已保留（DIR/<adcode>/_done.json）；再次运行同一命令即可继续"),
    # report.pdf
    "model_pdf": ("printing report.pdf with headless Chromium", "用无界面 Chromium 打印 report.pdf"),
    "pdf_not_requested": ("PDF not requested", "未要求生成 PDF"),
    "pdf_no_chromium": ("report.pdf not written: Chromium is not on PATH (install chromium, or print report.html)",
                        "未写出 report.pdf：PATH 中没有 Chromium（请安装 chromium，或直接打印 report.html）"),
    "pdf_failed": ("report.pdf not written: {why}", "未写出 report.pdf：{why}"),
}


def console_text(key: str, lang: str, **fields) -> str:
    """The console line ``key`` of :data:`CONSOLE_TEXT` in ``lang`` (``en``/``zh``), with ``{fields}`` filled in."""
    en, zh = CONSOLE_TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**fields) if fields else s


def mode_text(mode: str, lang: str) -> str:
    """``shared`` / ``separate`` / ``compare`` as ``route`` names it on the console."""
    key = f"mode_{mode}"
    return console_text(key, lang) if key in CONSOLE_TEXT else mode


#: The siting objective's units (summary.json ``objective_unit``): {unit: zh}.
OBJECTIVE_UNITS_ZH = {"persons newly reached": "新增覆盖人口", "sites": "个站点", "CNY": "元",
                      "person·m (capped distance to nearest shared point)": "人·米（到最近共享点的距离，有上限）"}


def objective_unit_text(unit: str, lang: str) -> str:
    """A siting objective's unit in ``lang`` (an unknown unit as it is)."""
    return OBJECTIVE_UNITS_ZH.get(unit, unit) if lang == "zh" else unit


def pdf_note_text(note: str, lang: str) -> str:
    """Why ``report.pdf`` was not written (a note of :func:`culture_logistics.reports.report.write_county_report`)
    in ``lang``; English notes are returned unchanged for ``en``."""
    if lang != "zh" or not note:
        return note
    if note == "PDF not requested":
        return console_text("pdf_not_requested", lang)
    if note.startswith("report.pdf not written: Chromium is not on PATH"):
        return console_text("pdf_no_chromium", lang)
    why = note.removeprefix("report.pdf not written: ")
    why = {"Chromium produced no PDF": "Chromium 未生成 PDF"}.get(why, why.replace("Chromium failed", "Chromium 出错"))
    return console_text("pdf_failed", lang, why=why)


#: Operators as a model line names them in Chinese (``shared`` is the shared co-delivery plan here).
_MODEL_OPS = {**OPERATOR_ZH, "shared": "共同配送"}


def _ops_zh(name: str) -> str:
    return "+".join(_MODEL_OPS.get(op, op) for op in name.split("+"))


#: Routing's model lines (routing/plan.py, assign.py, cooperation.py, sharing.py, weekly.py): (pattern, zh).
#: Prefixes (``day N: ``, ``postal_courier ``, ``without cultural parcels: ``, ``peak: ``) are taken off first and put back in Chinese.
MODEL_LINES_ZH = (
    (re.compile(r"(?P<op>\S+) last mile: (?P<n>\d+) villages from (?P<k>\d+) stations \(county-wide model (?P<m>\d+)\)$"),
     "{op}末端：{n} 个村，{k} 个站点（全县模型 {m}）"),
    (re.compile(r"(?P<op>\S+) last mile: (?P<n>\d+) villages from (?P<depot>\S+)$"), "{op}末端：{n} 个村，自 {depot} 出发"),
    (re.compile(r"last mile: (?P<n>\d+) villages no block could serve, from (?P<k>\d+) stations with room$"),
     "末端：{n} 个村无分块可配送，由 {k} 个尚有余量的站点配送"),
    (re.compile(r"(?P<op>\S+) trunk: (?P<n>\d+) stations from (?P<depot>\S+)$"), "{op}干线：{n} 个站点，自 {depot} 出发"),
    (re.compile(r"coalition (?P<op>\S+): planning its parcels on the shared network$"),
     "联盟 {op}：在共享网络上规划其包裹"),
)


#: The batch runner's notes (batch/runner.py), English, as the CLI gets them: (pattern, zh template).
BATCH_LINES_ZH = (
    (re.compile(r"note: the local Dask cluster did not start \(a worker nanny failed\); running the counties in "
                r"this process$"), "说明：本地 Dask 集群未能启动（工作进程守护失败）；在本进程中逐县计算"),
    (re.compile(r"note: the Dask cluster failed \((?P<why>.*)\); running the (?P<n>\d+) remaining counties in this "
                r"process$"), "说明：Dask 集群出错（{why}）；其余 {n} 个县在本进程中计算"),
    (re.compile(r"(?P<county>\S+ .*?): failed at (?P<step>[^:]+): (?P<why>.*)$", re.S), "{county}：在 {step} 步骤失败：{why}"),
)


def batch_line(line: str, lang: str) -> str:
    """A note or failure line of the batch runner in ``lang`` (the error's own message stays as it is)."""
    if lang != "zh":
        return f"  {line}" if line.startswith("note:") else console_text("batch_failed_line", lang, line=line)
    for pattern, zh in BATCH_LINES_ZH:
        m = pattern.match(line)
        if m:
            text = zh.format(**m.groupdict())
            return f"  {text}" if line.startswith("note:") else console_text("batch_failed_line", lang, line=text)
    return f"  {line}"


def day_note(note: str, lang: str) -> str:
    """A note of a weekly plan (``"day 3: <note>"``) in ``lang``: the day in words and the note as
    :func:`~culture_logistics.reports.notes.group_warnings` words it."""
    m = re.match(r"day (\d+): (.*)$", note, re.S)
    body = m.group(2) if m else note
    (text, *_) = group_warnings([body], lang=lang) or [body]
    if not m:
        return text
    return f"第 {m.group(1)} 天：{text}" if lang == "zh" else f"day {m.group(1)}: {text}"


def model_line(line: str, lang: str) -> str:
    """A solver model line from routing (English) in ``lang``; a line no template knows is returned as it is."""
    if lang != "zh":
        return line
    m = re.match(r"day (\d+): (.*)$", line)
    if m:
        return f"第 {m.group(1)} 天：" + model_line(m.group(2), lang)
    if line.startswith("postal_courier "):
        return "邮快合作 " + model_line(line.removeprefix("postal_courier "), lang)
    if line.startswith("peak: "):   # the peak-day plan (×[scenario] peak_scale)
        return "高峰：" + model_line(line.removeprefix("peak: "), lang)
    if line.startswith("without cultural parcels: "):   # the same mode solved without them (the cultural cost)
        return "不含文化包裹：" + model_line(line.removeprefix("without cultural parcels: "), lang)
    if line == "started":
        return console_text("started", lang)
    for pattern, zh in MODEL_LINES_ZH:
        m = pattern.match(line)
        if m:
            fields = m.groupdict()
            if "op" in fields:
                fields["op"] = _ops_zh(fields["op"])
            return zh.format(**fields)
    return line
