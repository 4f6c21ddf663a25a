"""Narration: local espeak-ng synthesis with measured word timings, and caption files built from them."""

from __future__ import annotations

from storyvid_assets.speech.captions import Cue, build_cues, parse_srt, parse_vtt, to_srt, to_vtt

__all__ = ["Cue", "build_cues", "parse_srt", "parse_vtt", "to_srt", "to_vtt"]
