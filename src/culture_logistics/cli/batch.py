"""``culture-logistics batch``: plan every county of a province on Dask, resumably, with a province map.

The command only parses arguments and calls :func:`culture_logistics.batch.runner.run_batch`.  A user mistake
(unknown county, bad step, unreachable scheduler, --out naming a file) prints one clear message and
exits with code 2; a county that fails does not stop the batch (it is listed in ``failures.csv``) and
the command then exits 1, so scripts notice.  Interrupted (Ctrl-C), it keeps every finished county:
run the same command again to resume.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from culture_logistics.cli.errors import guarded
from culture_logistics.cli.options import effort_option
from culture_logistics.errors import EXIT_FAILED, EXIT_INTERRUPTED


@click.command(name="batch")
@click.option("--province", default="37", show_default=True,
              help="2-digit province code (37 = Shandong, the only one with division lists here).")
@click.option("--counties", default=None, metavar="CODES",
              help="Comma-separated county codes and/or scenario.toml paths (or folders holding one) "
                   "[default: every county-level unit of the province, functional zones included].")
@click.option("--steps", default="coverage", show_default=True,
              help="Comma-separated steps: coverage, site, route (coverage always runs).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 [default: a local cluster].")
@click.option("--workers", type=int, default=None,
              help="Worker processes of the local cluster, one thread each [default: number of CPUs].")
@click.option("--time-limit", "time_limit_s", type=float, default=None, metavar="S",
              help="Solver time limit per step (s) for siting and routing [default: each stage's own].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of your own county datasets <data-dir>/<adcode>/scenario.toml, used before the "
                   "embedded and generated data.")
@click.option("--seed", type=int, default=None,
              help="Seed of the data builder for counties without a dataset [default: the builder's].")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Batch folder: <adcode>/ per county, province_reach.csv, failures.csv, province_map.html.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of every county's workbooks and maps and of the console lines.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar on stderr.")
@effort_option
def batch(province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed, out_dir, no_progress, lang,
          effort):
    """Plan every county of a province as one batch on Dask; a re-run skips finished counties."""
    try:
        result = guarded(_run, province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed,
                         out_dir, no_progress, lang, effort)
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            from culture_logistics.reports.console import console_text
            click.echo(console_text("batch_resume", lang), err=True)
        raise
    if result.failed:
        sys.exit(EXIT_FAILED)  # the others finished; failures.csv says what went wrong


def _run(province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed, out_dir, no_progress,
         lang="zh", effort=None):

    # lazy: the batch (Dask and every stage) loads when a batch runs, not for --help
    from culture_logistics.batch.runner import run_batch
    from culture_logistics.reports.console import batch_line, console_text

    def warn(line: str) -> None:
        click.echo(batch_line(line, lang), err=True)

    result = run_batch(out_dir, province=province, counties=counties, steps=steps, scheduler=scheduler,
                       workers=workers, time_limit_s=time_limit_s, seed=seed, data_dir=data_dir, lang=lang,
                       progress=not no_progress, echo=warn, effort=effort)
    s = result.summary()
    click.echo(console_text("batch_head", lang, counties=s["counties"], steps=", ".join(s["steps"]), ok=s["ok"],
                            failed=s["failed"], skipped=s["skipped_already_done"], computed=s["computed"],
                            workers=s["workers"], seconds=s["compute_s"]))
    if s["villages"]:
        click.echo(console_text("batch_reach", lang, reached=s["villages_reached"], villages=s["villages"],
                                rate=s["reach_rate"], people=s["population_reached"], population=s["population"]))
    if s["step_seconds_total"] and s["computed"]:
        click.echo(console_text("batch_steps", lang, steps=", ".join(
            f"{k} {v / s['computed']:.1f}" for k, v in s["step_seconds_total"].items())))
    peaks = s["peak_rss_mb_by_worker"]
    if peaks:
        click.echo(console_text("batch_memory", lang, mb=", ".join(f"{v:,.0f} MB" for v in peaks.values())))
    out = result.out_dir
    click.echo(console_text("batch_files", lang, reach=out / "province_reach.csv", map=out / "province_map.html",
                            kb=result.map_bytes / 1024, failures=out / "failures.csv"))
    if result.failed:
        click.echo(console_text("batch_failed", lang, n=len(result.failed), failures=out / "failures.csv"), err=True)
    return result


if __name__ == "__main__":  # `python -m culture_logistics.cli.batch …` before the command is registered
    batch()
