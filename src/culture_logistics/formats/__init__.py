"""formats: readers of published routing benchmark files (Cordeau's MDVRP/PVRP, the 2E-CVRP sets).

Each reader checks the sizes a file's header announces before allocating anything and raises a
:class:`~culture_logistics.formats.base.BenchmarkFormatError` naming the file, the line and the field.
"""
