"""The application layer: one module per command, each loading, checking its parameters once, running the
stages and handing the result objects to :mod:`culture_logistics.reports`, which only writes.

The command line (:mod:`culture_logistics.cli`) parses arguments, calls these functions and prints; the
library API (``culture_logistics.run_routing`` …) calls the same functions.

- :mod:`~culture_logistics.app.options`    the checks shared by the commands (``--out``, ``--time-limit``) and
  scenario loading;
- :mod:`~culture_logistics.app.validate`   ``validate``: load and check a scenario;
- :mod:`~culture_logistics.app.coverage`   ``coverage``: village reach, its tables and map;
- :mod:`~culture_logistics.app.siting`     ``site``: shared village service points;
- :mod:`~culture_logistics.app.routing`    ``route``: daily (or weekly) route plans, or the comparison of modes;
- :mod:`~culture_logistics.app.report`     ``report``: the county report, running missing stages first;
- :mod:`~culture_logistics.app.demo`       ``demo``: every stage, then the report;
- :mod:`~culture_logistics.app.import_osm` ``import-osm``: an OpenStreetMap extract to a scenario folder.

The ``batch`` command's application is :func:`culture_logistics.batch.runner.run_batch`, one layer up: it
runs these functions once per county (import-linter layers: cli → batch → app → synth → reports → …).

The modules import their stage's libraries at the top, so import one only when its command runs (the CLI
does so inside each command, keeping ``--help`` fast).
"""
