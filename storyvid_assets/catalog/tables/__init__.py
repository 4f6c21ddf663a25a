"""The catalog's table models, one module per area; importing this package registers every table."""

from storyvid_assets.catalog.tables import cloud_ai, core, distribution, review

__all__ = ["cloud_ai", "core", "distribution", "review"]
