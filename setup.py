"""Only the package list lives here (everything else is in pyproject.toml): the packages found under src/ plus
``culture_logistics.data``, which pyproject's ``[tool.setuptools.package-dir]`` maps to the top-level data/ folder so
an installed wheel carries the embedded datasets as package data."""
from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages("src", include=["culture_logistics", "culture_logistics.*"]),
                "culture_logistics.data"])
