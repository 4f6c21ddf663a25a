"""Sensors. Each feature module exports its sensors; ``all_sensors()`` collects them for definitions."""

from __future__ import annotations

import dagster as dg


def all_sensors() -> list[dg.SensorDefinition]:
    return []
