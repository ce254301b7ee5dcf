"""Vocabulary (operators, tiers), default road speeds, and the [network] / [coverage] parameter records."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from culture_logistics.config.schema import default

OPERATORS = ("postal", "supply_coop", "courier", "shared")


CARRIERS = ("postal", "supply_coop", "courier")  # operators that carry parcels themselves


TIERS = ("county", "township", "village")


OPERATOR_ZH = {"postal": "邮政", "supply_coop": "供销社", "courier": "快递", "shared": "共配点"}


TIER_ZH = {"county": "县级", "township": "乡镇级", "village": "村级"}


#: kinds of cultural destination (destinations.csv ``kind``); each is also the ``stop_kind`` of its stops
DESTINATION_KINDS = ("culture_store", "cultural_centre", "library")


DESTINATION_KIND_ZH = {"culture_store": "文化超市", "cultural_centre": "综合文化服务中心", "library": "农家书屋"}


# Derivation of weekly parcels when villages.csv does not give them (documented in README).
PARCELS_IN_PER_PERSON_WEEK = 0.010


PARCELS_OUT_PER_PERSON_WEEK = 0.002


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of the road network and of distances off it.

    circuity : road distance / straight-line distance used when no roads are given.
    default_speed_kmh : speed of a road with neither ``maxspeed`` nor a known class.
    access_speed_kmh : speed on the access leg from a point to its nearest road node.
    max_access_m : a point farther than this (m) from the connected network is unreachable.
    """

    circuity: float = default("network", "circuity")
    default_speed_kmh: float = default("network", "default_speed_kmh")
    access_speed_kmh: float = default("network", "access_speed_kmh")
    max_access_m: float = default("network", "max_access_m")


@dataclass(frozen=True)
class CoverageParams:
    """radius_m : network distance (m) within which a facility reaches a village."""

    radius_m: float = default("coverage", "radius_m")


# Typical speeds (km/h) on Chinese rural roads by OSM highway class.
ROAD_SPEEDS_KMH = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50, "primary": 60, "primary_link": 40,
    "secondary": 50, "secondary_link": 40, "tertiary": 40, "tertiary_link": 30, "unclassified": 30,
    "residential": 25, "living_street": 15, "service": 20, "track": 15, "road": 30,
}


DEFAULT_MAX_ACCESS_M = default("network", "max_access_m")


class ParamsSource(Protocol):
    """What the parameter readers (``SitingParams.from_scenario``, ``RoutingParams.from_scenario``) need of a
    scenario: its raw TOML tables, the file they came from (``None`` in memory), and the parameters already
    checked when it was loaded (``None`` when not).  :class:`culture_logistics.inputs.scenario.Scenario` is one;
    ``config`` does not import it (``inputs`` sits above ``config`` in the layers)."""

    config: dict
    path: Path | None
    siting_params: Any
    routing_params: Any
