"""routing: daily and weekly county route plans, and the solver-neutral engine they are built on.

The engine's modelling interface is exported here for use on a caller's own matrices::

    from culture_logistics.routing import Depot, Model, Stop, VehicleType, solve
    sol = solve(Model(depots=[Depot()], stops=[Stop(delivery=3)], vehicle_types=[VehicleType(capacity=5)],
                      distance=[[0, 7], [7, 0]]))
    sol.routes[0].stops, sol.distance      # ([0], 14)

See :mod:`culture_logistics.routing.engine.solve` for the model's semantics.
"""
from importlib import import_module

# loaded on first use (PEP 562), so importing one routing module does not load the engines
_LAZY = {
    "Model": "culture_logistics.routing.engine.model",
    "Depot": "culture_logistics.routing.engine.model",
    "Stop": "culture_logistics.routing.engine.model",
    "VehicleType": "culture_logistics.routing.engine.model",
    "Route": "culture_logistics.routing.engine.model",
    "Solution": "culture_logistics.routing.engine.model",
    "ModelError": "culture_logistics.routing.engine.model",
    "solve": "culture_logistics.routing.engine.solve",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    """``routing.Model`` etc. (this package's lazy names): import the engine module when the name is first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'culture_logistics.routing' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
