"""Runners: the composition root, settings, the Starlette web app and the CLI."""
