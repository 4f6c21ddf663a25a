"""Where StoryVid keeps its files. One environment variable, read when definitions load."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "STORYVID_HOME"
ENV_ENV = "STORYVID_ENV"
REPO_ROOT = Path(__file__).resolve().parent.parent


def storyvid_home() -> Path:
    """``$STORYVID_HOME``, else ``storyvid_home/`` in the repository."""
    return Path(os.environ.get(HOME_ENV) or REPO_ROOT / "storyvid_home").resolve()


def stories_dir() -> Path:
    """Operator-supplied scripts: ``<home>/stories/<channel>/<date>.md`` (else the repo's ``stories/``)."""
    home_scripts = storyvid_home() / "stories"
    return home_scripts if home_scripts.exists() else REPO_ROOT / "stories"
