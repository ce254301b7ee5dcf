"""Import an OpenStreetMap extract into a county scenario folder (``culture-logistics import-osm``)."""
