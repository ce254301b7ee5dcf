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
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of every county's workbooks and maps.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar on stderr.")
def batch(province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed, out_dir, no_progress, lang):
    """Plan every county of a province as one batch on Dask; a re-run skips finished counties."""
    try:
        result = guarded(_run, province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed,
                         out_dir, no_progress, lang)
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            click.echo("every county already finished is kept (DIR/<adcode>/_done.json); "
                       "run the same command again to resume", err=True)
        raise
    if result.failed:
        sys.exit(EXIT_FAILED)  # the others finished; failures.csv says what went wrong


def _run(province, counties, steps, scheduler, workers, time_limit_s, data_dir, seed, out_dir, no_progress,
         lang="en"):

    # lazy: the batch (Dask and every stage) loads when a batch runs, not for --help
    from culture_logistics.batch.runner import run_batch

    def warn(line: str) -> None:
        click.echo(f"  {line}" if line.startswith("note:") else f"  FAILED {line}", err=True)

    result = run_batch(out_dir, province=province, counties=counties, steps=steps, scheduler=scheduler,
                       workers=workers, time_limit_s=time_limit_s, seed=seed, data_dir=data_dir, lang=lang,
                       progress=not no_progress, echo=warn)
    s = result.summary()
    click.echo(f"Batch of {s['counties']} counties ({', '.join(s['steps'])}): {s['ok']} planned, "
               f"{s['failed']} failed, {s['skipped_already_done']} skipped (already done); "
               f"{s['computed']} computed on {s['workers']} worker(s) in {s['compute_s']:.1f} s")
    if s["villages"]:
        click.echo(f"  villages reached by every operator: {s['villages_reached']:,}/{s['villages']:,} "
                   f"({s['reach_rate']:.1%}); population {s['population_reached']:,}/{s['population']:,}")
    if s["step_seconds_total"] and s["computed"]:
        click.echo("  seconds per county by step (mean): " + ", ".join(
            f"{k} {v / s['computed']:.1f}" for k, v in s["step_seconds_total"].items())
            + "; per county in batch_summary.json (county_step_seconds)")
    peaks = s["peak_rss_mb_by_worker"]
    if peaks:
        click.echo(f"  peak memory per worker: {', '.join(f'{v:,.0f} MB' for v in peaks.values())}")
    out = result.out_dir
    click.echo(f"  {out / 'province_reach.csv'}, {out / 'province_map.html'} "
               f"({result.map_bytes / 1024:.0f} KB), {out / 'failures.csv'}")
    if result.failed:
        click.echo(f"  {len(result.failed)} county(ies) failed: see {out / 'failures.csv'}; a re-run retries them",
                   err=True)
    return result


if __name__ == "__main__":  # `python -m culture_logistics.cli.batch …` before the command is registered
    batch()
