"""Readers of published routing benchmark files: plain arrays out, every problem named by file and line.

Single-depot sets (CVRPLIB and LKH-3):

* :mod:`culture_logistics.formats.cvrplib` — CVRPLIB instances and solutions (``.vrp``, ``.sol``)
  as :class:`~culture_logistics.formats.cvrplib.CVRPInstance`;
* :mod:`culture_logistics.formats.lkh` — LKH-3 VRPTW/VRPSPD instances as
  :class:`~culture_logistics.formats.lkh.LKHInstance`;
* :mod:`culture_logistics.formats.tsplib` — the shared TSPLIB header reading; sizes are checked from the
  header before anything is allocated, problems raise
  :class:`~culture_logistics.formats.tsplib.CVRPLibFormatError`.

Multi-depot, periodic and two-echelon sets (issue 22):

* :mod:`culture_logistics.formats.cordeau` — Cordeau's MDVRP (type 2) and PVRP (type 1) files as
  :class:`~culture_logistics.formats.cordeau.CordeauInstance`;
* :mod:`culture_logistics.formats.twoe` — 2E-CVRP files in Breunig's ``.dat`` and Perboli's format as
  :class:`~culture_logistics.formats.twoe.TwoEInstance`;
* :mod:`culture_logistics.formats.base` — their size limits, content detection and
  :class:`~culture_logistics.formats.base.BenchmarkFormatError`, raised after checking the sizes a header
  announces and naming the file, the line and the field.

Solving an instance with the routing engine and checking a solution stay in :mod:`culture_logistics.routing`
(:mod:`culture_logistics.routing.cvrplib`, :mod:`culture_logistics.routing.lkh` and the literature solvers).
"""
