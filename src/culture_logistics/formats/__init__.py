"""Benchmark instance and solution files: CVRPLIB (``.vrp``, ``.sol``) and LKH-3 VRPTW/VRPSPD.

Readers only: they turn a file into plain arrays (:class:`~culture_logistics.formats.cvrplib.CVRPInstance`,
:class:`~culture_logistics.formats.lkh.LKHInstance`) and name the file and line of every problem.  Solving an
instance with the routing engine and checking a solution stay in :mod:`culture_logistics.routing.cvrplib`
and :mod:`culture_logistics.routing.lkh`.  Sizes are checked from the header before anything is allocated
(:mod:`culture_logistics.formats.tsplib`).
"""
