"""geo: coordinates (WGS-84, GCJ-02, BD-09, the county's UTM zone), county boundaries and seats, township areas,
and the NBS 2023 division lists of the embedded data."""
