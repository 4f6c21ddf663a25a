from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DG = Path(sys.executable).parent / "dg"


def check_defs(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_overrides}
    return subprocess.run([str(DG), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240)


def test_definitions_validate(tmp_path: Path) -> None:
    result = check_defs({"STORYVID_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_malformed_channel_fails_at_load_naming_file_field_and_fix(tmp_path: Path) -> None:
    channels = tmp_path / "channels"
    channels.mkdir()
    (channels / "broken.yaml").write_text("name: broken\ndisplay_name: B\ngenres: [x]\ntheme_pool: [y]\n"
                                          "formats: ['4:3']\n")
    result = check_defs({"STORYVID_HOME": str(tmp_path), "STORYVID_CHANNELS_DIR": str(channels)})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "broken.yaml" in output
    assert "formats.0" in output
    assert "Fix:" in output


@pytest.mark.parametrize("env", [{"STORYVID_ENV": "mars"}])
def test_unknown_environment_is_named(tmp_path: Path, env: dict[str, str]) -> None:
    result = check_defs({"STORYVID_HOME": str(tmp_path), **env})
    assert result.returncode != 0
    assert "STORYVID_ENV='mars'" in result.stdout + result.stderr
