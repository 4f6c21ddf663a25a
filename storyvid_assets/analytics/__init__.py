"""The analytics loop: metrics read back from the platforms (or a simulated audience), what they teach about
episode settings, experiments, and guarded configuration changes. Plain work package (no Dagster)."""
