"""ActivityPub adapters: RSA keys and signatures (``cryptography``), signed HTTP (httpx)."""
