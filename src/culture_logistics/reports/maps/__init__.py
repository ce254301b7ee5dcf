"""reports.maps."""
