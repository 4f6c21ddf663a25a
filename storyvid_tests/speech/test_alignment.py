"""Word timings measured by aligning speech with a local reference rendition (MFCC + DTW)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from storyvid_assets.models import VoiceSettings
from storyvid_assets.speech.alignment import align_scene, dtw_path
from storyvid_tests.fakes.ai_content import CLOUD_SAMPLE_RATE, speak, story_text


@pytest.mark.parametrize(
    "voice",
    [
        VoiceSettings(voice="en-us+f3", rate=175, pitch=65),  # another voice, a little faster
        VoiceSettings(voice="en-gb", rate=135, pitch=30),  # another accent, much slower and lower
    ],
)
def test_alignment_recovers_word_times_of_another_voice(voice: VoiceSettings) -> None:
    text = story_text(1, 45)[0]
    spoken = speak(text, voice)  # the "cloud" audio, with espeak-ng's own word times as the truth
    scene = align_scene(text, spoken.samples, CLOUD_SAMPLE_RATE, scene_index=3)
    words = [w for s in scene.sentences for w in s.words]
    assert [w.text for w in words] == [w.text for w in spoken.words]
    assert {s.scene_index for s in scene.sentences} == {3}
    starts = np.array([abs(w.start - t.start) for w, t in zip(words, spoken.words, strict=True)])
    ends = np.array([abs(w.end - t.end) for w, t in zip(words, spoken.words, strict=True)])
    assert starts.mean() < 0.05 and np.percentile(starts, 90) < 0.08
    assert ends.mean() < 0.08
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))


def test_dtw_path_is_monotonic_and_finds_a_time_stretch() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(40, 5))
    stretched = np.repeat(reference, 2, axis=0)  # the same sequence at half speed
    path_ref, path_target = dtw_path(reference, stretched)
    assert path_ref[0] == 0 and path_target[0] == 0 and path_ref[-1] == 39 and path_target[-1] == 79
    assert np.all(np.diff(path_ref) >= 0) and np.all(np.diff(path_target) >= 0)
    for i in range(40):
        assert set(path_target[path_ref == i]) == {2 * i, 2 * i + 1}
