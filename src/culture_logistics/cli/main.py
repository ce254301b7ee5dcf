"""Command-line interface: ``culture-logistics COMMAND …`` (also ``python cli.py COMMAND …``).

The CLI only parses arguments, calls the library and prints; every mistake in
the user's input ends with a clear message and exit code 2, never a traceback
(``--debug`` shows one for bug reports).

Start-up stays short: the group loads a command's module only when that command is asked for
(:data:`COMMANDS`), and each command imports its stage of the library (pandas, OR-Tools, PyVRP,
folium …) only when it runs, so ``--help`` and ``COMMAND --help`` import none of them
(``benchmarks/bench_startup.py`` measures it).
"""
from __future__ import annotations

import importlib
import json
import unicodedata
from pathlib import Path

import click

from culture_logistics import __version__
from culture_logistics.cli.errors import echo_problems, guarded
from culture_logistics.cli.options import effort_option
from culture_logistics.cli.progress import printer
from culture_logistics.inputs.datasets import list_datasets
from culture_logistics.reports.console import console_text
from culture_logistics.resources import DEFAULT_COUNTY

#: the commands defined in other modules: name → "module:attribute", imported on first use
COMMANDS = {
    "batch": "culture_logistics.cli.batch:batch",
    "coverage": "culture_logistics.cli.coverage:coverage",
    "import-osm": "culture_logistics.cli.import_osm:import_osm_cmd",
    "report": "culture_logistics.cli.report:report",
    "route": "culture_logistics.cli.routing:route",
    "site": "culture_logistics.cli.siting:site",
    "solve-vrp": "culture_logistics.cli.routing:solve_vrp",
}


class _Group(click.Group):
    """Loads the commands of :data:`COMMANDS` on demand (a lazy click group) and runs every command
    through the one error handler (:func:`culture_logistics.cli.errors.guarded`)."""

    def list_commands(self, ctx):
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)

    def make_context(self, info_name, args, parent=None, **extra):
        # `--help` and `--version` print while the context is made, before invoke
        return guarded(super().make_context, info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return guarded(super().invoke, ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="culture-logistics")
@click.option("--debug", is_flag=True, help="Show full tracebacks of internal errors.")
@click.pass_context
def main(ctx, debug):
    """Plan cultural-product logistics across a county's township and village network."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _pad(text: str, width: int) -> str:
    """Left-justify to a terminal width, counting CJK characters as two columns."""

    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
    return str(text) + " " * max(width - w, 0)


def _print_summary(s: dict) -> None:
    click.echo(f"County {s['adcode']} {s['name']}: {s['townships']} townships, {s['villages']} villages, "
               f"population {s['population']:,}")
    if s.get("synthetic"):
        click.echo("  (coordinates, populations, facilities and roads are SYNTHETIC — see data/counties/README.md)")
    click.echo(f"  Facilities: {s['facilities']}")
    for k, n in s["facilities_by_tier_operator"].items():
        click.echo(f"    {k:<22} {n:>5}")
    if s.get("destinations"):
        kinds = ", ".join(f"{k} {n}" for k, n in s["destinations_by_kind"].items())
        click.echo(f"  Cultural destinations: {s['destinations']} ({kinds})")
    net = s["network"]
    if net.get("roads"):
        click.echo(f"  Road network: {net['nodes']:,} nodes, {net['edges']:,} edges, {net['road_km']:,} km, "
                   f"{net['components']} connected component(s) (main: {net['main_component_nodes']:,} nodes)")
    else:
        click.echo("  Road network: none given (straight-line distance × circuity)")
    click.echo(f"  County boundary: {s['boundary_source']}")
    click.echo("  Villages per township:")
    for k, n in s["villages_per_township"].items():
        click.echo(f"    {_pad(k, 40)} {n:>5}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def validate(scenario, as_json):
    """Check SCENARIO (a scenario.toml, or an embedded county code such as 370782) and every file it names;
    exit 2 when invalid."""
    # lazy: the readers (pandas, geopandas, networkx) load when a scenario is read, not for --help
    from culture_logistics.app.validate import validate_scenario

    scn, summary = validate_scenario(scenario)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{scenario}: valid" + (f", with {len(scn.warnings)} warning(s) (listed below)"
                                           if scn.warnings else ""))
        _print_summary(summary)
    if scn.warnings:
        echo_problems(scn.warnings)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def datasets(as_json):
    """List the embedded county datasets."""

    rows = list_datasets()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    ops = ["postal", "supply_coop", "courier", "shared"]
    click.echo(f"{'code':<7} {_pad('name', 8)} {'townships':>9} {'villages':>8}  " + " ".join(f"{o:>11}" for o in ops))
    for r in rows:
        mark = " (default)" if r["code"] == DEFAULT_COUNTY else ""
        click.echo(f"{r['code']:<7} {_pad(r['name'], 8)} {r['townships']:>9} {r['villages']:>8}  "
                   + " ".join(f"{r['facilities'].get(o, 0):>11}" for o in ops) + mark)
    click.echo("Facilities by operator; all coordinates, populations, facilities and roads are synthetic.")


@main.command()
@click.option("--county", default=DEFAULT_COUNTY, show_default=True, help="Embedded county code (see `datasets`).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: maps/<county>].")
@click.option("--time-limit", type=float, default=None, help="Solver time limit per model (s).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of every output: workbooks, maps, comparison.csv, console lines and the report.")
@click.option("--report-lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of report.html / report.pdf [default: --lang].")
@click.option("--no-pdf", is_flag=True, help="Do not print report.pdf with headless Chromium.")
@click.option("--quiet", is_flag=True, help="Do not print a line per solver model (warnings are still shown).")
@effort_option
def demo(county, out, time_limit, lang, report_lang, no_pdf, quiet, effort):
    """Run the whole chain on an embedded county (default 诸城市 370782), then write the county report."""

    # lazy: the whole chain (solvers, maps, report) loads when the demo runs, not for --help
    from culture_logistics.app.demo import demo_county

    progress = printer(quiet=quiet, lang=lang)
    demo_county(county, out_dir=out, time_limit_s=time_limit, progress=progress, lang=lang,
                report_lang=report_lang or lang, pdf=not no_pdf, effort=effort)
    if progress.counts["warning"]:
        click.echo(console_text("warnings_above", lang, n=progress.counts["warning"]))


if __name__ == "__main__":  # pragma: no cover
    main()
