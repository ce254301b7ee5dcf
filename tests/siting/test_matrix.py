"""MCLP / LSCP / PMedian on a caller's cost matrix: hand-checked optima, results in the caller's labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import culture_logistics as cl
from culture_logistics import CultureLogisticsError
from culture_logistics.siting import LSCP, MCLP, PMedian

# 4 villages (rows) × 3 candidate sites (columns), metres; with a 10 m radius site 0 reaches villages 0 and 1
# (weight 180), site 1 villages 2 and 3 (110), site 2 village 1 only (80)
COST = np.array([[5, 20, 30], [8, 25, 9], [30, 7, 12], [40, 6, 35]])
WEIGHTS = [100, 80, 60, 50]


def test_mclp_one_site_takes_the_heaviest_reach():
    m = MCLP.from_cost_matrix(COST, weights=WEIGHTS, service_radius=10, p_facilities=1).solve()
    assert m.sites == [0] and m.covered_weight == 180.0 and m.objective == 180.0 and m.optimal
    assert m.fac2cli == {0: [0, 1]} and m.cli2fac == {0: 0, 1: 0} and m.uncovered == [2, 3]


def test_mclp_two_sites_reach_everyone_in_the_callers_labels():
    frame = pd.DataFrame(COST, index=["v1", "v2", "v3", "v4"], columns=["A", "B", "C"])
    m = MCLP.from_cost_matrix(frame, weights=WEIGHTS, service_radius=10, p_facilities=2).solve()
    assert m.sites == ["A", "B"] and m.covered_weight == 290.0
    assert m.fac2cli == {"A": ["v1", "v2"], "B": ["v3", "v4"]}
    assert m.cli2fac == {"v1": "A", "v2": "A", "v3": "B", "v4": "B"}


def test_mclp_budget_with_facility_costs():
    # site 0 costs 5, sites 1 and 2 cost 2: a budget of 4 buys sites 1 and 2 (60 + 50 + 80 = 190)
    m = MCLP.from_cost_matrix(COST, weights=WEIGHTS, service_radius=10, budget=4, facility_costs=[5, 2, 2]).solve()
    assert m.sites == [1, 2] and m.covered_weight == 190.0


def test_lscp_fewest_sites_and_unreachable_clients():
    cost = np.vstack([COST, [np.inf, 50, np.nan]])  # a fifth village no site reaches
    m = LSCP.from_cost_matrix(cost, service_radius=10).solve()
    assert m.sites == [0, 1] and m.objective == 2.0 and m.uncovered == [4]
    assert m.fac2cli == {0: [0, 1], 1: [2, 3]}


def test_pmedian_least_weighted_distance():
    # one site: 0 → 4,940, 1 → 100·20 + 80·25 + 60·7 + 50·6 = 4,720, 2 → 6,190 weight·m
    p = PMedian.from_cost_matrix(COST, weights=WEIGHTS, p_facilities=1).solve()
    assert p.sites == [1] and p.objective == 4720.0 and p.optimal
    assert p.cli2fac == {0: 1, 1: 1, 2: 1, 3: 1}
    # two sites: {0, 1} → 500 + 640 + 420 + 300 = 1,860
    p = PMedian.from_cost_matrix(COST, weights=WEIGHTS, p_facilities=2).solve()
    assert p.sites == [0, 1] and p.objective == 1860.0


def test_exported_from_the_package():
    assert cl.MCLP is MCLP and cl.LSCP is LSCP and cl.PMedian is PMedian


def test_bad_matrices_are_clear_errors():
    with pytest.raises(CultureLogisticsError, match="2-D"):
        MCLP.from_cost_matrix([1, 2, 3], weights=[1], service_radius=10, p_facilities=1)
    with pytest.raises(CultureLogisticsError, match="weights needs 4 values"):
        MCLP.from_cost_matrix(COST, weights=[1, 2], service_radius=10, p_facilities=1)
    with pytest.raises(CultureLogisticsError, match="negative distance"):
        LSCP.from_cost_matrix(-COST, service_radius=10)
    with pytest.raises(CultureLogisticsError, match="not solved yet"):
        MCLP.from_cost_matrix(COST, weights=WEIGHTS, service_radius=10, p_facilities=1).sites
    with pytest.raises(CultureLogisticsError, match="K = 4 is larger"):
        MCLP.from_cost_matrix(COST, weights=WEIGHTS, service_radius=10, p_facilities=4).solve()
