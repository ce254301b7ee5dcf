"""config: the scenario.toml schema (:mod:`~culture_logistics.config.schema`, every key with its type, range and
default) and the checked parameter records of each stage: [network]/[coverage] (:mod:`~culture_logistics.config.model`),
[siting], [routing]/[[fleet]], [[bus_line]] and the weekly visit rule."""
