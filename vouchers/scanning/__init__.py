"""The institution's desk: verify, enrol and check in by scan or by location; annul a scan."""
