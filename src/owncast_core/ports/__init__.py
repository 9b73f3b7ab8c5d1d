"""ports package."""
