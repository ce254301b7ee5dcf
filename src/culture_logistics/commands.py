"""Registers the stage commands on the CLI group (each imports its stage lazily)."""
from __future__ import annotations
