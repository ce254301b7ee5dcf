"""synth: the seeded builder of the embedded county datasets — real division codes, names, seats and
boundaries; synthetic coordinates, populations, facilities and roads
(:func:`~culture_logistics.synth.builder.build_county`)."""
