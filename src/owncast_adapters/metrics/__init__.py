"""Metrics exposition (prometheus-client)."""
