"""Video storage adapters (local disk, S3)."""
