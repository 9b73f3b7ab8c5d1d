"""Adapters: concrete technologies (SQLite, disk, S3, PyAV, RTMP, ...) implementing owncast_core ports."""
