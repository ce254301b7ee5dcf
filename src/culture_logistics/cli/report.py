"""``culture-logistics report``: the county report for officials (report.html, report.pdf).

The command runs every stage whose summary.json is missing from ``--out`` (or is of another county),
the same way ``demo`` does (:func:`culture_logistics.app.report.write_report`), then writes the report from
the stages' summary files, so every figure in
it equals the one in a summary.json (see :mod:`culture_logistics.reports.report`).
"""
from __future__ import annotations

from pathlib import Path

import click

from culture_logistics.cli.errors import guarded
from culture_logistics.cli.progress import printer


@click.command(name="report")
@click.argument("scenario", type=str)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder with (or for) the stage outputs; report.html and report.pdf are written here.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report (Chinese by default, for county officials).")
@click.option("--stage-lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the workbooks and maps of a stage the command has to run [default: --lang].")
@click.option("--rerun", is_flag=True, help="Run every stage again even when its summary.json is in --out.")
@click.option("--time-limit", "time_limit", type=float, default=None,
              help="Routing solver seconds per model when routing has to run [default 1].")
@click.option("--no-pdf", is_flag=True, help="Do not print report.pdf with headless Chromium.")
@click.option("--quiet", is_flag=True, help="Do not print a line per solver model.")
def report(scenario, out_dir, lang, stage_lang, rerun, time_limit, no_pdf, quiet):
    """County report of SCENARIO (a scenario.toml, or an embedded county code): report.html (+ report.pdf)."""
    guarded(_run, scenario, out_dir, lang, stage_lang, rerun, time_limit, no_pdf, quiet)


def _run(scenario, out_dir, lang, stage_lang, rerun, time_limit, no_pdf, quiet):
    # lazy: every stage (solvers, maps, the report) loads when the report is made, not for --help
    from culture_logistics.app.report import write_report
    from culture_logistics.reports.console import console_text, pdf_note_text

    rep = write_report(scenario, out_dir, lang=lang, pdf=not no_pdf, rerun=rerun, time_limit_s=time_limit,
                       stage_lang=stage_lang or lang, progress=printer(quiet=quiet, lang=lang))
    click.echo(console_text("wrote_file", lang, path=rep.html_path))
    if rep.pdf_path:
        click.echo(console_text("wrote_pdf", lang, path=rep.pdf_path, pages=rep.pdf_pages,
                                s="s" if rep.pdf_pages != 1 else ""))
    elif not no_pdf:
        click.echo(pdf_note_text(rep.pdf_note, lang), err=True)
