"""Markdown rendering of the streamer's page content (markdown-it-py)."""
