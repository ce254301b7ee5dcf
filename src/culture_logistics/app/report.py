"""``culture-logistics report``: run each stage whose ``summary.json`` is missing from the output folder (or is
of another county), the same way ``demo`` does, then compute the official
indicators (:mod:`culture_logistics.app.kpis`: kpis.csv, upload/) and hand the stage summaries and indicators to
:func:`culture_logistics.reports.report.write_county_report`, which writes report.html (and report.pdf)."""
from __future__ import annotations

from pathlib import Path

from culture_logistics.app import coverage as coverage_app
from culture_logistics.app import routing as routing_app
from culture_logistics.app import siting as siting_app
from culture_logistics.app.kpis import write_folder_kpis
from culture_logistics.app.options import check_out_dir, check_time_limit, scenario_of
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.progress import Progress, emit
from culture_logistics.reports.report import CountyReport, county_stages, write_county_report


def ensure_stages(scn: Scenario, out_dir: str | Path, lang: str = "en", time_limit_s: float | None = None,
                  rerun: bool = False, progress: Progress | None = None) -> dict[str, dict]:
    """Run each stage whose summary.json is missing from ``out_dir`` or is of another county; return them all.

    The stages are the ``demo`` ones (coverage; siting MCLP and LSCP; routing compare, ``time_limit_s``
    per model, default 1 s; the peak plan at ``[demand] peak_scale``), writing the same files in the same layout.
    """
    fresh = {} if rerun else county_stages(out_dir, scn.adcode)

    def echo_for(stage):
        return lambda line: emit(progress, "stage", stage, line)

    if "coverage" not in fresh:
        coverage_app.demo_stage(scn, Path(out_dir), time_limit_s, echo_for("coverage"), progress=progress,
                                lang=lang)
    if "siting" not in fresh or "siting_lscp" not in fresh:
        res = siting_app.demo_stage(scn, Path(out_dir), time_limit_s, echo_for("siting"), progress=progress,
                                    lang=lang)
        if res.get("gap_villages") == 0:
            for rel in ("siting/summary.json", "siting_lscp/summary.json"):   # a stale one must not be reported
                (Path(out_dir) / rel).unlink(missing_ok=True)
    # the peak plan beside the comparison when both are to be made (as demo does)
    with routing_app.peak_beside(scn, time_limit_s, start=not {"routing", "routing_peak"} & set(fresh)) as peak:
        if "routing" not in fresh:
            routing_app.demo_stage(scn, Path(out_dir), time_limit_s, echo_for("routing"), progress=progress,
                                   lang=lang)
        if "routing_peak" not in fresh:
            routing_app.peak_stage(scn, Path(out_dir), time_limit_s, echo_for("peak"), progress=progress, lang=lang,
                                   pending=peak)
    return county_stages(out_dir, scn.adcode)


def write_report(scenario: Scenario | str | Path, out_dir: str | Path, lang: str = "zh", pdf: bool = True,
                 run_missing: bool = True, rerun: bool = False, time_limit_s: float | None = None,
                 stage_lang: str = "en", progress: Progress | None = None) -> CountyReport:
    """Write ``report.html`` (and ``report.pdf``) into ``out_dir`` from the stage outputs there.

    Parameters
    ----------
    scenario : a loaded Scenario, or a ``scenario.toml`` path / embedded county code (loaded after the checks).
    run_missing : run a stage whose summary.json is missing or of another county (see :func:`ensure_stages`);
        when False, only what is in ``out_dir`` is reported.
    rerun : recompute every stage first.
    time_limit_s : routing solver seconds per model (and siting cap) when a stage runs.
    stage_lang : language of the stage outputs written when a stage runs (workbooks, maps).

    Returns
    -------
    CountyReport : where the report is, its figures, and whether a PDF was printed.
    """
    check_time_limit(time_limit_s)
    out_dir = check_out_dir(out_dir)
    scn = scenario_of(scenario)
    if run_missing or rerun:
        stages = ensure_stages(scn, out_dir, lang=stage_lang, time_limit_s=time_limit_s, rerun=rerun,
                               progress=progress)
    else:
        stages = county_stages(out_dir, scn.adcode)
    return report_with_kpis(scn, out_dir, stages, lang=lang, pdf=pdf, progress=progress)


def report_with_kpis(scn: Scenario, out_dir: str | Path, stages: dict[str, dict], lang: str = "zh", pdf: bool = True,
                     progress: Progress | None = None) -> CountyReport:
    """The official indicators of ``out_dir`` (``kpis.csv``, ``upload/``, ``kpis`` in summary.json; see
    :mod:`culture_logistics.app.kpis`), then report.html with them as its first section."""
    table = write_folder_kpis(scn, out_dir, stages)
    return write_county_report(scn, out_dir, stages, lang=lang, pdf=pdf, progress=progress,
                               kpis=table.summary() if table is not None else None)
