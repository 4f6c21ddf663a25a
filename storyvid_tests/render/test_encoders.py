"""Encoder choice is tested, not assumed; a failed render is retried once with the draft preset and says so."""

from __future__ import annotations

from pathlib import Path

from storyvid_assets.channels import LookSettings
from storyvid_assets.render.encoders import LIBX264, Encoder, _works, detect_encoder, encoder_for
from storyvid_assets.render.engine import render_format_with_retry
from storyvid_assets.render.timeline import build_timeline
from storyvid_tests.probe import probe
from storyvid_tests.samples import synthetic_episode


def test_detected_encoder_passes_a_real_test_encode() -> None:
    encoder = detect_encoder(True)
    assert _works(encoder)
    assert detect_encoder(False) == LIBX264


def test_an_encoder_without_hardware_is_not_chosen() -> None:
    assert not _works(Encoder("h264_no_such_encoder"))
    assert not _works(encoder_for("h264_vaapi")) or Path("/dev/dri/renderD128").exists()


def test_failed_render_retries_with_draft(tmp_path: Path) -> None:
    story, narration, images, wav, music = synthetic_episode(tmp_path, 2, 3.0, image_size=256)
    timeline = build_timeline(story, narration, images, wav, music, LookSettings(), True, "Channel")
    broken = Encoder("h264_no_such_encoder")
    result = render_format_with_retry(
        timeline, "1:1", None, tmp_path / "out.mp4", tmp_path, "standard", 5, broken, fallback=LIBX264
    )
    assert result.retried_with_draft and result.preset == "draft" and result.encoder == "libx264"
    assert "h264_no_such_encoder" in result.first_error
    measured = probe(Path(result.path))
    assert (measured.width, measured.height) == (1080, 1080)
    assert abs(measured.video_duration - 3.0) <= 0.25
