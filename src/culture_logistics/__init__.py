"""culture-logistics: plan cultural-product delivery across a county's township and village network.

The public API — each stage a plain function returning a result object (with GeoDataFrame views):

>>> import culture_logistics as cl
>>> scn = cl.load_scenario("370782")                   # or a scenario.toml path
>>> cov = cl.compute_coverage(scn)                     # CoverageResult: .villages, .townships, .summary()
>>> sites = cl.solve_siting(scn, model="lscp")         # SitingResult: .sites, .assignment, .summary()
>>> plan = cl.plan_routes(scn, mode="shared")          # RoutePlan: .plan_table(), .routes_gdf(), .summary()
>>> cmp = cl.compare_modes(scn)                        # ModeComparison: .shared, .separate, .table, .summary()
>>> batch = cl.run_batch("runs/p", counties="370782")  # BatchResult: .reach_table(), .failed

Coordinates are WGS-84 longitude/latitude at the edges and metres (the county's UTM zone) inside;
distances in metres, times in seconds inside and minutes in the tables, money in CNY.
The layers, from the top: cli → pipeline | batch → synth → reports → routing → siting → coverage →
inputs → network → geo → config → errors | resources (enforced by import-linter, see pyproject.toml).
"""
__version__ = "0.2.0"

from culture_logistics.batch.results import BatchResult  # noqa: E402
from culture_logistics.batch.runner import run_batch  # noqa: E402
from culture_logistics.coverage.reach import CoverageResult, compute_coverage  # noqa: E402
from culture_logistics.errors import CultureLogisticsError, Problem, ScenarioError  # noqa: E402
from culture_logistics.inputs.datasets import resolve_scenario  # noqa: E402
from culture_logistics.inputs.scenario import Scenario  # noqa: E402
from culture_logistics.inputs.scenario import load_scenario as _load_scenario  # noqa: E402
from culture_logistics.routing.compare import ModeComparison, compare_modes  # noqa: E402
from culture_logistics.routing.plan import RoutePlan, plan_routes  # noqa: E402
from culture_logistics.siting.solve import SitingResult, solve_siting  # noqa: E402


def load_scenario(path_or_code) -> Scenario:
    """Load and check a scenario: a ``scenario.toml`` path, or the 6-digit code of an embedded county.

    Parameters
    ----------
    path_or_code : str or path-like
        ``"my/scenario.toml"`` or e.g. ``"370782"`` (see ``culture-logistics datasets``).

    Returns
    -------
    Scenario
        villages and facilities as GeoDataFrames in EPSG:4326, the road graph (lengths in m, travel
        times in s), the county boundary and every parameter, checked against the schema.

    Raises
    ------
    ScenarioError
        listing every problem found (file, row, column, how to fix it).
    """
    return _load_scenario(resolve_scenario(str(path_or_code)))


__all__ = [
    "__version__", "load_scenario", "compute_coverage", "solve_siting", "plan_routes", "compare_modes",
    "run_batch", "Scenario", "CoverageResult", "SitingResult", "RoutePlan", "ModeComparison", "BatchResult",
    "CultureLogisticsError", "ScenarioError", "Problem",
]
