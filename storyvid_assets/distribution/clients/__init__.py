"""Platform protocol clients: each speaks one platform's own upload API (no Dagster here)."""
