"""The whole chain on one scenario: load → validate → coverage → siting → routing → peak plan → maps → indicators →
county report.

:func:`run_demo` is what ``culture-logistics demo`` runs (:func:`demo_county` for an embedded county code).
Each stage is an application function (:mod:`culture_logistics.app`); this module strings them together and
reports through ``progress(event, **fields)`` (:mod:`culture_logistics.progress`): a ``"stage"`` event per
summary line, ``"model"`` per solver model, ``"warning"`` for every warning a stage raises (input warnings,
a station over its capacity …).  It never prints.
"""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from culture_logistics.app import coverage as coverage_app
from culture_logistics.app import routing as routing_app
from culture_logistics.app import siting as siting_app
from culture_logistics.app.options import check_time_limit, with_effort
from culture_logistics.app.report import report_with_kpis
from culture_logistics.config.routing import check_effort
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.progress import Progress, emit
from culture_logistics.reports.console import console_text, pdf_note_text
from culture_logistics.reports.report import county_stages
from culture_logistics.resources import PILOT_COUNTIES, counties_dir

#: The stages after loading, in order: (name, function(scenario, out_dir, time_limit_s, echo, progress, lang)).
STAGES = (("coverage", coverage_app.demo_stage), ("siting", siting_app.demo_stage),
          ("routing", routing_app.demo_stage), ("peak", routing_app.peak_stage))


def county_scenario(code: str) -> Path:
    """The ``scenario.toml`` of the embedded county ``code``; a clear error naming the embedded ones when none."""
    path = counties_dir() / code / "scenario.toml"
    if not path.exists():
        raise CultureLogisticsError(
            f"no embedded dataset for county {code}; embedded: {', '.join(PILOT_COUNTIES)} "
            f"(see `culture-logistics datasets`), or pass your own scenario.toml")
    return path


def demo_county(code: str, out_dir: Path | None = None, time_limit_s: float | None = None,
                progress: Progress | None = None, lang: str = "en", report_lang: str = "zh",
                pdf: bool = True, effort: float | None = None) -> dict:
    """:func:`run_demo` on the embedded county ``code`` (see ``culture-logistics datasets``)."""
    check_time_limit(time_limit_s)
    if effort is not None:
        check_effort(effort)
    return _run(county_scenario(code), out_dir, time_limit_s, progress, lang, report_lang, pdf, effort)


def run_demo(scenario_path: Path, out_dir: Path | None = None, time_limit_s: float | None = None,
             progress: Progress | None = None, lang: str = "en", report_lang: str = "zh",
             pdf: bool = True, effort: float | None = None) -> dict:
    """Run every stage of ``scenario_path`` into ``out_dir`` (default ``./maps/<adcode>``), then the report.

    Parameters
    ----------
    time_limit_s : solver seconds per routing model (default 1 s) and siting cap.
    lang : language of the workbooks, maps and comparison.csv (``en`` or ``zh``).
    report_lang : language of ``report.html`` (Chinese by default, as for officials).
    pdf : also print ``report.pdf`` with headless Chromium when it is installed.
    effort : replaces ``[routing] effort`` (the multiplier of every routing solve's work budget; None = the
        scenario's, 1 by default).

    Returns
    -------
    dict : ``summary`` (the scenario), one entry per stage (its summary dict) and ``report``.
    """
    check_time_limit(time_limit_s)
    if effort is not None:
        check_effort(effort)
    return _run(scenario_path, out_dir, time_limit_s, progress, lang, report_lang, pdf, effort)


def _run(scenario_path: Path, out_dir: Path | None, time_limit_s: float | None, progress: Progress | None,
         lang: str, report_lang: str, pdf: bool, effort: float | None = None) -> dict:
    t0 = time.perf_counter()
    scn = with_effort(load_scenario(scenario_path), effort)
    out_dir = Path(out_dir) if out_dir else Path.cwd() / "maps" / scn.adcode
    s = scn.summary()

    def echo_for(stage):
        return lambda line: emit(progress, "stage", stage, line)

    echo = echo_for("load")
    echo(console_text("load", lang, adcode=scn.adcode, name=scn.name, villages=s["villages"],
                      townships=s["townships"], facilities=s["facilities"], nodes=s["network"].get("nodes", 0),
                      seconds=time.perf_counter() - t0))
    if scn.synthetic:
        echo(console_text("load_synthetic", lang))
    for w in scn.warnings:
        emit(progress, "warning", "load", str(w))
    results = {"summary": s}
    # the peak plan depends on no other stage: it runs beside them (the comparison's plans) from the start
    with routing_app.peak_beside(scn, time_limit_s) as peak:
        for name, stage in STAGES:
            emit(progress, "model", name, console_text("started", lang))
            run = partial(stage, pending=peak) if stage is routing_app.peak_stage else stage
            results[name] = run(scn, out_dir, time_limit_s, echo_for(name), progress=progress, lang=lang)
    t1 = time.perf_counter()
    # no progress: the PDF's note is on the [report] line below
    rep = report_with_kpis(scn, out_dir, county_stages(out_dir, scn.adcode), lang=report_lang, pdf=pdf)
    results["report"] = rep.summary()
    pdf_note = (console_text("report_pdf", lang, name=rep.pdf_path.name, pages=rep.pdf_pages) if rep.pdf_path
                else console_text("report_no_pdf", lang, note=pdf_note_text(rep.pdf_note, lang)))
    echo_for("report")(console_text("report", lang, html=rep.html_path, pdf=pdf_note,
                                    seconds=time.perf_counter() - t1))
    echo_for("done")(console_text("done", lang, seconds=time.perf_counter() - t0, out=out_dir))
    return results
