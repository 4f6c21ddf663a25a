"""Rendering: a timeline model decides the look; an ffmpeg compiler turns it into video files.

``timeline`` (what the video is), ``captions`` (karaoke ASS), ``audio`` (mix and loudness), ``compiler``
(timeline -> ffmpeg filtergraph), ``encoders`` (hardware detection, presets), ``engine`` (runs it),
``probe``/``qc`` (measurements) and ``thumbnail`` (cover images).
"""
