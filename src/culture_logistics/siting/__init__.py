"""siting: where to open shared village service points (MCLP, LSCP, p-median on OR-Tools' MIP solvers).

:func:`culture_logistics.siting.solve.solve_siting` works on a scenario; :class:`MCLP`, :class:`LSCP` and
:class:`PMedian` (:mod:`culture_logistics.siting.matrix`) on a caller's client × facility cost matrix, spopt-style::

    from culture_logistics.siting import MCLP
    mclp = MCLP.from_cost_matrix(cost, weights, service_radius=3000, p_facilities=5).solve()
    mclp.sites, mclp.fac2cli, mclp.cli2fac, mclp.covered_weight
"""
from culture_logistics.siting.matrix import LSCP, MCLP, PMedian

__all__ = ["LSCP", "MCLP", "PMedian"]
