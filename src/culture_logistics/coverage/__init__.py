"""coverage: each village's road distance to every operator's nearest facility, and who reaches it within the
radius (:func:`~culture_logistics.coverage.reach.compute_coverage`)."""
