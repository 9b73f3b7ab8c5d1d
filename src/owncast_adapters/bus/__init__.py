"""Event bus adapters."""
