"""``culture-logistics validate``: load a scenario and every file it names, checked against the schema."""
from __future__ import annotations

from pathlib import Path

from culture_logistics.app.options import scenario_of
from culture_logistics.inputs.scenario import Scenario


def validate_scenario(scenario: str | Path) -> tuple[Scenario, dict]:
    """Load and check ``scenario`` (a ``scenario.toml`` path or an embedded county code).

    Returns
    -------
    (Scenario, dict) : the scenario (its ``warnings`` listed on it) and its summary
        (:meth:`~culture_logistics.inputs.scenario.Scenario.summary`).

    Raises
    ------
    ScenarioError
        listing every problem found (file, row, column, how to fix it).
    """
    scn = scenario_of(scenario)
    return scn, scn.summary()
