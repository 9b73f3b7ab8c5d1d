"""Outbound webhook delivery over HTTP (httpx)."""
