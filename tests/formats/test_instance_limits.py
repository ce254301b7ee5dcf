"""Instance bombs (issue 21): sizes are checked from the header before anything is allocated.

A 630 KB file once made ``solve-vrp`` allocate 13.4 GiB: tens of thousands of nodes whose dense
distance matrix needs gigabytes, or a ``DIMENSION`` line asking for millions of nodes in a few bytes.
Each case here must end with a CultureLogisticsError naming the file, the line and the field, and the
reader must stay small while refusing it (measured with tracemalloc).
"""
from __future__ import annotations

import os
import tracemalloc

import pytest
from click.testing import CliRunner

from culture_logistics.cli.routing import solve_vrp
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.formats.cvrplib import read_vrp
from culture_logistics.formats.lkh import read_lkh
from culture_logistics.formats.tsplib import MAX_DIMENSION, MAX_FILE_BYTES, CVRPLibFormatError

CVRP_HEAD = "NAME : bomb\nTYPE : CVRP\nDIMENSION : {dim}\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 100\n"


def cvrp_text(dim, nodes: int) -> str:
    """A CVRP file claiming ``dim`` nodes and giving ``nodes`` of them (depot 1)."""
    coords = "".join(f"{i} {i % 97} {i % 89}\n" for i in range(1, nodes + 1))
    demands = "".join(f"{i} {0 if i == 1 else 1}\n" for i in range(1, nodes + 1))
    return (CVRP_HEAD.format(dim=dim) + "NODE_COORD_SECTION\n" + coords + "DEMAND_SECTION\n" + demands
            + "DEPOT_SECTION\n1\n-1\nEOF\n")


def refused(read, path) -> tuple[CVRPLibFormatError, int]:
    """The error ``read(path)`` raises and the peak of memory allocated (bytes) while reading."""
    tracemalloc.start()
    try:
        with pytest.raises(CVRPLibFormatError) as info:
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


def test_dimension_of_ten_million_is_refused_on_its_line(tmp_path):
    p = tmp_path / "ten_million.vrp"
    p.write_text(cvrp_text(10_000_000, 3))
    err, peak = refused(read_vrp, p)
    assert isinstance(err, CultureLogisticsError)
    assert err.path == str(p) and err.line == 3
    assert "DIMENSION 10000000" in str(err) and f"{MAX_DIMENSION:,}" in str(err)
    assert f"{p}:3:" in str(err)
    assert peak < 5 * 2**20  # refused from the header: a 10-million-node id list alone would be ~400 MB


def test_many_real_nodes_are_refused_before_the_distance_matrix(tmp_path):
    """A consistent file of 6,000 nodes (a dense matrix of 288 MB and ~1.4 GB at the peak of computing it)."""
    n = MAX_DIMENSION + 1_000
    p = tmp_path / "big.vrp"
    p.write_text(cvrp_text(n, n))
    assert p.stat().st_size < 200_000
    err, peak = refused(read_vrp, p)
    assert err.line == 3 and "DIMENSION" in str(err)
    assert peak < 20 * 2**20


def test_dimension_after_the_sections_is_still_refused_on_its_line(tmp_path):
    text = cvrp_text(7, 3).replace("DIMENSION : 7\n", "") + "DIMENSION : 99999999\n"
    text = text.replace("EOF\n", "")
    p = tmp_path / "late.vrp"
    p.write_text(text)
    lines = text.splitlines()
    err, _ = refused(read_vrp, p)
    assert err.line == lines.index("DIMENSION : 99999999") + 1 and "DIMENSION" in str(err)


def test_lkh_matrix_implying_a_huge_n_is_refused(tmp_path):
    """An EXPLICIT matrix file whose DIMENSION asks for 10⁵ nodes (an 80 GB matrix) in 200 bytes."""
    p = tmp_path / "matrix.vrptw"
    p.write_text("NAME : m\nTYPE : CVRPTW\nDIMENSION : 100000\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
                 "EDGE_WEIGHT_FORMAT : FULL_MATRIX\nEDGE_WEIGHT_SECTION\n0 1\n1 0\nDEPOT_SECTION\n1\n-1\nEOF\n")
    err, peak = refused(read_lkh, p)
    assert err.path == str(p) and err.line == 3
    assert "DIMENSION 100000" in str(err) and "74.5 GiB" in str(err)
    assert peak < 5 * 2**20


def test_lkh_fleet_of_a_billion_vehicles_is_refused(tmp_path):
    p = tmp_path / "fleet.vrpspd"
    p.write_text("NAME : f\nTYPE : VRPSPD\nDIMENSION : 2\nVEHICLES : 1000000000\nCAPACITY : 10\n"
                 "EDGE_WEIGHT_TYPE : EXACT_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n"
                 "PICKUP_AND_DELIVERY_SECTION\n1 0 0 100 0 0 0\n2 0 0 100 0 1 1\nDEPOT_SECTION\n1\n-1\nEOF\n")
    err, _ = refused(read_lkh, p)
    assert err.line == 4 and "VEHICLES 1000000000" in str(err) and f"{MAX_DIMENSION:,} vehicles" in str(err)


def test_oversized_file_is_refused_without_reading_it(tmp_path):
    p = tmp_path / "huge.vrp"
    with open(p, "wb") as fh:  # sparse: no disk space used
        fh.truncate(MAX_FILE_BYTES + 1)
    assert os.path.getsize(p) == MAX_FILE_BYTES + 1
    err, peak = refused(read_vrp, p)
    assert err.path == str(p) and err.line is None and "16 MiB" in str(err)
    assert peak < 2**20


def test_solve_vrp_refuses_the_bomb_with_exit_2(tmp_path):
    p = tmp_path / "bomb.vrp"
    p.write_text(cvrp_text(10_000_000, 3))
    res = CliRunner().invoke(solve_vrp, [str(p), "--time-limit", "1"])
    assert res.exit_code == 2, res.output
    assert f"{p}:3" in res.output and "DIMENSION" in res.output and "Nothing was written" in res.output
    assert "Traceback" not in res.output


def test_solve_vrp_refuses_an_oversized_lkh_file_before_sniffing_it(tmp_path):
    p = tmp_path / "huge.vrptw"
    with open(p, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    res = CliRunner().invoke(solve_vrp, [str(p)])
    assert res.exit_code == 2, res.output
    assert str(p) in res.output and "MiB" in res.output
