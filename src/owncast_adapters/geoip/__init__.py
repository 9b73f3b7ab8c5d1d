"""GeoIP lookups from a MaxMind database (geoip2)."""
