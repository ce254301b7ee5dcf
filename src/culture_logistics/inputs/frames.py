"""In-memory tables for :meth:`culture_logistics.inputs.scenario.Scenario.from_frames`.

A pandas DataFrame (or a GeoDataFrame of points) becomes a :class:`~culture_logistics.inputs.tables.MemoryTable`:
its column names are the header and every cell is written as text, so the readers check it exactly as they
check a CSV file — the same column aliases (Chinese headers), the same value checks, the same messages — naming
the frame (``"villages (DataFrame)"``) instead of a file.  Rows are numbered by position from 0, as
``frame.iloc[row]`` (and a default index) numbers them.
"""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.tables import MemoryTable


def _cell(value) -> str:
    """One cell as the text a CSV file would hold: empty for None/NaN/NA, else ``str`` (floats round-trip)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return ""
    return str(value)


def frame_table(frame, label: str) -> MemoryTable:
    """The cells of ``frame`` (a DataFrame, or a GeoDataFrame of points) as a table :func:`read_table` checks.

    A GeoDataFrame without ``lon``/``lat`` columns gets them from its point geometries (converted to
    EPSG:4326 when the frame has another CRS); the geometry column itself is not part of the table.
    """
    if not isinstance(frame, pd.DataFrame):
        raise CultureLogisticsError(f"{label}: expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geom = frame.geometry
        frame = pd.DataFrame(frame.drop(columns=[geom.name]))
        if not {"lon", "lat"} <= set(map(str, frame.columns)) and len(geom) and (geom.geom_type == "Point").all():
            if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
                geom = geom.to_crs("EPSG:4326")
            frame["lon"], frame["lat"] = geom.x.to_numpy(), geom.y.to_numpy()
    header = [_cell(c) for c in frame.columns]
    rows: list[tuple[int | None, list[str]]] = [(None, header)]
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        rows.append((i, [_cell(v) for v in values]))
    return MemoryTable(label, rows)


def lines_frame(roads, label: str) -> gpd.GeoDataFrame:
    """``roads`` checked to be a GeoDataFrame (its line features become the road graph)."""
    if not isinstance(roads, gpd.GeoDataFrame):
        raise CultureLogisticsError(f"{label}: expected a GeoDataFrame of LineString roads, got "
                                    f"{type(roads).__name__}")
    return roads
