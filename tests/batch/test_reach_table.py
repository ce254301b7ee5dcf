"""province_reach.csv in the county report's units: reach in percent (0–100), MCLP and LSCP sites apart."""
from __future__ import annotations

from culture_logistics.batch.jobs import REACH_COLUMNS
from culture_logistics.batch.results import reach_row


def test_reach_in_percent_and_both_site_counts():
    """98 of 125 villages (郯城县 in the demo: 78.4 %), 596,071 of 885,156 people (67.34 % → 67.3),
    5 sites chosen with K = 5 (the report's siting table), 17 to reach every gap village (its LSCP line)."""
    row = {"adcode": "371322", "name": "郯城县", "villages": "125", "villages_reached": "98", "population": "885156",
           "population_reached": "596071", "reach_rate": "0.7840", "sites_mclp": "5", "sites_lscp": "17",
           "shared_saving_pct": "42.73", "boundary_source": "geotool-cn", "data": "embedded", "synthetic": "true",
           "status": "ok"}
    got = reach_row(row)
    assert list(got) == REACH_COLUMNS and "reach_rate" not in got
    assert (got["village_reach_pct"], got["population_reach_pct"]) == ("78.4", "67.3")
    assert (got["sites_mclp"], got["sites_lscp"]) == ("5", "17")


def test_undefined_rates_are_empty_and_old_rows_read_the_same():
    """No population: no population rate (empty, not 0.0).  A row stored by an earlier version (``reach_rate``
    a fraction, ``sites_proposed`` the LSCP count) gives the same table."""
    old = {"adcode": "370102", "name": "历下区", "villages": "8", "villages_reached": "3", "population": "0",
           "population_reached": "0", "reach_rate": "0.3750", "sites_proposed": "2", "shared_saving_pct": "",
           "boundary_source": "", "data": "embedded", "synthetic": "true", "status": "ok"}
    got = reach_row(old)
    assert (got["village_reach_pct"], got["population_reach_pct"]) == ("37.5", "")
    assert (got["sites_mclp"], got["sites_lscp"]) == ("", "2")
    failed = reach_row({"adcode": "370103", "name": "市中区", "villages": "", "status": "failed"})
    assert failed["village_reach_pct"] == "" and failed["status"] == "failed"
