"""The catalog's table models, one module per area; importing this package registers every table."""

from storyvid_assets.catalog.tables import (
    analytics,
    cloud_ai,
    console,
    controls,
    core,
    credentials,
    distribution,
    review,
)

__all__ = ["analytics", "cloud_ai", "console", "controls", "core", "credentials", "distribution", "review"]
