"""The scenario.toml schema: every section and key is checked, by validate and by every stage command."""
from __future__ import annotations

import re
import tomllib

import pytest

from conftest import ROOT, run_cli, write_scenario
from culture_logistics.config.fleet import DEFAULT_VEHICLES
from culture_logistics.config.reference import render_markdown
from culture_logistics.config.routing import RoutingParams
from culture_logistics.config.schema import SCHEMA, check_config
from culture_logistics.config.siting import SitingParams
from culture_logistics.errors import ProblemList, ScenarioError
from culture_logistics.inputs.scenario import load_scenario

# (TOML added to the tiny scenario, the problem's column, the suggestion)
MISSPELT = [
    ("[coverage]\nradius = 2000\n", "coverage.radius", "radius_m"),
    ("[network]\ncircuty = 2.0\n", "network.circuty", "circuity"),
    ("[siting]\nconvert_costs = 1000\n", "siting.convert_costs", "convert_cost"),
    ("[routing]\nservce_min = 5\n", "routing.servce_min", "service_min"),
    ('[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nspeed_factr = 0.9\n', "fleet[1].speed_factr",
     "speed_factor"),
    ("[covrage]\nradius_m = 2000\n", "covrage", "coverage"),
    ("[validation]\nallow_unknown_code = true\n", "validation.allow_unknown_code", "allow_unknown_codes"),
    ("[data]\nsynthetc = true\n", "data.synthetc", "synthetic"),
    ("[routing.shares]\npostl = 0.45\nsupply_coop = 0.2\ncourier = 0.35\n", "routing.shares.postl", "postal"),
]


def _toml_with(folder, extra: str):
    """The tiny scenario with ``extra`` TOML; [county]/[inputs] keys are misspelt in place."""
    return write_scenario(folder, toml_extra=extra)


@pytest.mark.parametrize("extra, column, suggestion", MISSPELT)
def test_misspelt_key_or_section_is_an_error(tmp_path, extra, column, suggestion):
    path = _toml_with(tmp_path / "s", extra)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    errs = [p for p in exc.value.problems if p.severity == "error"]
    assert len(errs) == 1, errs
    assert errs[0].column == column and f"did you mean '{suggestion}'" in errs[0].message
    assert errs[0].file.endswith("scenario.toml")


def test_misspelt_county_and_inputs_keys(tmp_path):
    path = write_scenario(tmp_path / "s")
    text = path.read_text(encoding="utf-8").replace("[county]\n", "[county]\nnmae = \"x\"\n")
    text = text.replace("[inputs]\n", "[inputs]\ntownship = \"t.csv\"\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    got = {p.column: p.message for p in exc.value.problems if p.severity == "error"}
    assert "did you mean 'name'" in got["county.nmae"]
    assert "did you mean 'townships'" in got["inputs.township"]


@pytest.mark.parametrize("extra, column, text", [
    ("[coverage]\nradius_m = \"3000\"\n", "coverage.radius_m", "must be a number"),
    ("[network]\ncircuity = 0.5\n", "network.circuity", "must be ≥ 1"),
    ("[siting]\nk = 2.5\n", "siting.k", "whole number"),
    ("[siting]\ncandidates = \"some\"\n", "siting.candidates", "must be one of"),
    ("[validation]\nallow_unknown_codes = \"yes\"\n", "validation.allow_unknown_codes", "true or false"),
    ("[data]\nsynthetic = 1\n", "data.synthetic", "true or false"),
])
def test_wrong_type_or_range_is_an_error(tmp_path, extra, column, text):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_toml_with(tmp_path / "s", extra))
    assert any(p.column == column and text in p.message for p in exc.value.problems), exc.value.problems


def test_every_problem_at_once(tmp_path):
    """Three sections wrong at once: all three are reported in one run."""
    extra = "[coverage]\nradius = 1\n[routing]\nservce_min = 5\n[siting]\nnew_cost = -1\n"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_toml_with(tmp_path / "s", extra))
    cols = {p.column for p in exc.value.problems if p.severity == "error"}
    assert {"coverage.radius", "routing.servce_min", "siting.new_cost"} <= cols


def test_loaded_scenario_carries_checked_parameters(tmp_path):
    extra = "[siting]\nk = 3\n[routing]\nservice_min = 7\n[coverage]\nradius_m = 2500\n"
    scn = load_scenario(_toml_with(tmp_path / "s", extra))
    assert scn.coverage.radius_m == 2500.0
    assert SitingParams.from_scenario(scn).k == 3
    assert RoutingParams.from_scenario(scn).service_min == 7.0
    assert RoutingParams.from_scenario(scn, seed=4).seed == 4


def test_record_defaults_are_the_schema_defaults():
    assert SitingParams().convert_cost == SCHEMA["siting"].key("convert_cost").default == 20000.0
    r = RoutingParams()
    for key in ("service_min", "service_min_per_parcel", "station_service_min", "delivery_days_per_week",
                "time_limit_s", "seed", "engine", "service_point_radius_m", "wait_for_trunk", "diagnose",
                "max_resolves"):
        assert getattr(r, key) == SCHEMA["routing"].key(key).default, key
    assert r.day_start_s == 8 * 3600 and r.day_end_s == 18 * 3600
    assert r.shares == SCHEMA["routing.shares"].defaults()


def test_config_reference_is_current():
    """docs/CONFIG.md is what the schema renders (refresh: python -m culture_logistics.config.reference)."""
    assert (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8") == render_markdown()


def _readme_tables(heading: str) -> list[list[str]]:
    text = (ROOT / "docs" / "guide" / "routing.md").read_text(encoding="utf-8")  # the routing guide (was README)
    part = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in part.splitlines()
            if line.startswith("| `")]
    return rows


def test_readme_routing_table_matches_schema():
    rows = _readme_tables("### `[routing]`")
    assert rows
    seen = set()
    for row in rows:
        keys = re.findall(r"`([a-z_]+)`", row[0])
        defaults = [d.strip().strip("`") for d in re.split(r",\s*(?![^{]*})", row[1])]
        for key, dflt in zip(keys, defaults):
            k = SCHEMA["routing"].key(key)
            seen.add(key)
            if k.kind == "table":
                continue
            want = k.default
            got = tomllib.loads(f"v = {dflt}")["v"]
            assert got == want, (key, got, want)
    assert seen == set(SCHEMA["routing"].key_names) - {"time_windows"}


def test_readme_fleet_table_matches_schema():
    rows = _readme_tables("### `[[fleet]]`")
    keys = [re.findall(r"`([a-z_]+)`", r[0])[0] for r in rows]
    assert keys == list(SCHEMA["fleet"].key_names)
    for r, key in zip(rows, keys):
        if key in DEFAULT_VEHICLES["trunk"]:
            got = [tomllib.loads(f"v = {v}")["v"] if not v.startswith("`") else v.strip("`") for v in r[2:4]]
            assert got == [DEFAULT_VEHICLES["trunk"][key], DEFAULT_VEHICLES["last_mile"][key]], key


def test_readme_toml_examples_are_valid():
    """Every ```toml block in README.md and the docs passes the schema (no unknown section or key, no bad value)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        problems = ProblemList()
        check_config(tomllib.loads(block), "README.md", problems,
                     sections=tuple(s for s in SCHEMA if "." not in s))
        assert not [p for p in problems.errors if not p.message.startswith("missing")], problems.errors


@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ("validate",), ("coverage", "--out", "{out}"), ("site", "--model", "lscp", "--out", "{out}"),
    ("route", "--mode", "shared", "--out", "{out}"),
])
def test_every_command_refuses_a_misspelt_key(tmp_path, command):
    path = _toml_with(tmp_path / "s", "[coverage]\nradius = 2000\n")
    out = tmp_path / "out"
    args = [a.format(out=out) for a in command]
    res = run_cli(args[0], path, *args[1:])
    assert res.returncode == 2, res.stderr
    assert "[coverage] radius: unknown key — did you mean 'radius_m'?" in res.stderr + res.stdout
    assert "Traceback" not in res.stderr and not out.exists()
