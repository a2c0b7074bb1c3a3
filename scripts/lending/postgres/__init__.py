"""PostgreSQL: a local server, the raw-data loader, and the build on it (lending-pg)."""
