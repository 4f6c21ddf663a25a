"""Sensors. Each feature module exports its sensors; ``all_sensors()`` collects them for definitions."""

from __future__ import annotations

import dagster as dg


def all_sensors() -> list[dg.SensorDefinition]:
    from storyvid_assets.sensors.review import review_decisions_sensor
    from storyvid_assets.sensors.uploads import deferred_uploads_sensor, uncertain_uploads_sensor

    return [deferred_uploads_sensor, uncertain_uploads_sensor, review_decisions_sensor]
