"""culture-logistics: plan cultural-product delivery across a county's township and village network.

The public API — each stage a plain function returning a result object (with GeoDataFrame views):

>>> import culture_logistics as cl
>>> scn = cl.load_scenario("370782")                   # or a scenario.toml path
>>> cov = cl.compute_coverage(scn)                     # CoverageResult: .villages, .townships, .summary()
>>> sites = cl.solve_siting(scn, model="lscp")         # SitingResult: .sites, .assignment, .summary()
>>> plan = cl.plan_routes(scn, mode="shared")          # RoutePlan: .plan_table(), .routes_gdf(), .summary()
>>> cmp = cl.compare_modes(scn)                        # ModeComparison: .shared, .separate, .table, .summary()
>>> batch = cl.run_batch("runs/p", counties="370782")  # BatchResult: .reach_table(), .failed

In a notebook: ``cl.Scenario.from_frames(villages, facilities, roads=None, config=None)`` checks in-memory
(Geo)DataFrames like files; ``cl.MCLP`` / ``cl.LSCP`` / ``cl.PMedian`` ``.from_cost_matrix(...).solve()`` site on a
cost matrix; ``cl.Model`` and ``cl.solve`` are the routing engine (see docs/quickstart.md).

Coordinates are WGS-84 longitude/latitude at the edges and metres (the county's UTM zone) inside;
distances in metres, times in seconds inside and minutes in the tables, money in CNY.
The layers, from the top: cli → pipeline | batch → synth → reports → routing → siting → coverage →
inputs → network → geo → config → errors | resources (enforced by import-linter, see pyproject.toml).
"""
__version__ = "0.2.0"

from importlib import import_module  # noqa: E402

from culture_logistics.errors import CultureLogisticsError, Problem, ScenarioError  # noqa: E402

# The public names load their stage on first use (PEP 562), so ``import culture_logistics`` — and the CLI,
# which imports ``__version__`` — does not pay for pandas, OR-Tools, PyVRP, folium … until a stage is used.
_LAZY = {
    "run_batch": "culture_logistics.batch.runner",
    "BatchResult": "culture_logistics.batch.results",
    "compute_coverage": "culture_logistics.coverage.reach",
    "CoverageResult": "culture_logistics.coverage.reach",
    "Scenario": "culture_logistics.inputs.scenario",
    "compare_modes": "culture_logistics.routing.compare",
    "ModeComparison": "culture_logistics.routing.compare",
    "plan_routes": "culture_logistics.routing.plan",
    "RoutePlan": "culture_logistics.routing.plan",
    "solve_siting": "culture_logistics.siting.solve",
    "SitingResult": "culture_logistics.siting.solve",
    "MCLP": "culture_logistics.siting.matrix",
    "LSCP": "culture_logistics.siting.matrix",
    "PMedian": "culture_logistics.siting.matrix",
    "Model": "culture_logistics.routing.engine.model",
    "solve": "culture_logistics.routing.engine.solve",
}


def __getattr__(name: str):
    """``culture_logistics.plan_routes`` etc.: import the stage's module when the name is first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'culture_logistics' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def load_scenario(path_or_code):
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
    from culture_logistics.inputs.datasets import resolve_scenario
    from culture_logistics.inputs.scenario import load_scenario as _load_scenario  # lazy: see _LAZY above

    return _load_scenario(resolve_scenario(str(path_or_code)))


__all__ = [
    "__version__", "load_scenario", "compute_coverage", "solve_siting", "plan_routes", "compare_modes",
    "run_batch", "Scenario", "CoverageResult", "SitingResult", "RoutePlan", "ModeComparison", "BatchResult",
    "CultureLogisticsError", "ScenarioError", "Problem", "MCLP", "LSCP", "PMedian", "Model", "solve",
]
