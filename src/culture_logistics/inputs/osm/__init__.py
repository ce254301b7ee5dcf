"""Import an OpenStreetMap extract into a county scenario folder (``culture-logistics import-osm``)."""

#: metres of the extract kept around the county boundary (``import-osm --buffer-m``)
DEFAULT_BUFFER_M = 2000.0
