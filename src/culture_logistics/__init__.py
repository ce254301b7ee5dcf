"""culture-logistics: plan cultural-product delivery across a county's township and village network.

Stages (each a plain function returning a result object):
``load_scenario`` → ``coverage`` → ``siting`` → ``routing``; maps and tables in ``outputs``/``maps``.
"""
__version__ = "0.1.0"

from culture_logistics.inputs.scenario import Scenario, load_scenario  # noqa: E402

from .errors import CultureLogisticsError, Problem, ScenarioError  # noqa: E402

__all__ = ["Scenario", "load_scenario", "ScenarioError", "CultureLogisticsError", "Problem", "__version__"]
