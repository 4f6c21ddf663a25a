"""Render benchmark (``make bench-render``): our renderer vs the x264 encoder limit vs a MoviePy composition.

One synthetic 60 s, 8-scene episode (procedural images with a subject, speech-like narration with word timings,
music), the production look (grade, vignette, karaoke captions, title cards, transitions, Ken Burns moves) and the
production renderer settings (``FFmpegRenderer()``: standard preset, 30 fps). Measured in the same run:

(a) our render, everything it takes to get the finished files (soundtrack mix and loudness normalisation, prepared
    stills, captions, encode): 9:16 alone and all three formats (median of 3 each), with the peak resident memory of
    every process of the render (this Python process included) summed;
(b) the encoder limit: plain libx264 with the same codec settings and frame count, fed a synthetic ``testsrc2``
    source, per format (median of 3);
(c) MoviePy 2.x composing the same timeline the usual way (ImageClip + ``resized(lambda t: ...)`` zoom,
    ``CrossFadeIn``, ``TextClip`` captions, ``CompositeVideoClip``), 9:16, one run.

Writes ``benchmarks/results/render.json`` and prints the ratios against the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storyvid_assets.channels import LookSettings
from storyvid_assets.models import FORMAT_SIZES, format_slug
from storyvid_assets.render.captions import STYLES, caption_layout, paginate
from storyvid_assets.render.compiler import scene_frames, total_frames, view_rect
from storyvid_assets.render.encoders import LIBX264, PRESETS, video_codec_args
from storyvid_assets.render.ffmpeg import ffmpeg_exe
from storyvid_assets.render.timeline import Timeline, build_timeline
from storyvid_assets.resources.renderer import FFmpegRenderer

# Run as a script (`make bench-render`): the render samples live in the test package, which is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from storyvid_tests.samples import synthetic_episode

RESULTS = Path(__file__).resolve().parent / "results" / "render.json"
TARGETS = {"ratio_9x16_vs_encoder": 1.5, "ratio_all_vs_encoder": 1.4, "speedup_vs_moviepy": 10.0, "peak_rss_mb": 700}


# --------------------------------------------------------------------------- memory of a process tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(entry))
    return found


class TreeMemory:
    """Samples the summed RSS of this process and all its descendants every 20 ms."""

    def __init__(self) -> None:
        self.peak_total_kb = 0
        self.peak_children_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids, frontier = [], [me]
            while frontier:
                kids = [c for p in frontier for c in _children(p)]
                pids += kids
                frontier = kids
            children = sum(_rss_kb(p) for p in pids)
            self.peak_children_kb = max(self.peak_children_kb, children)
            self.peak_total_kb = max(self.peak_total_kb, children + _rss_kb(me))
            self._stop.wait(0.02)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- (b) encoder limit


def encoder_limit(fmt: str, frames: int, fps: int, out: Path) -> float:
    width, height = FORMAT_SIZES[fmt]
    args = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s={width}x{height}:r={fps}",
        "-frames:v",
        str(frames),
        *video_codec_args(LIBX264, "standard", fps),
        "-y",
        str(out),
    ]
    return timed(lambda: subprocess.run(args, check=True))


# --------------------------------------------------------------------------- (c) MoviePy


def moviepy_render(timeline: Timeline, audio_path: str, fmt: str, fps: int, out: Path) -> float:
    """The same timeline composed the way MoviePy users usually do it."""
    import font_roboto
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, vfx

    width, height = FORMAT_SIZES[fmt]

    def build() -> None:
        layers = []
        for scene, frames in zip(timeline.scenes, scene_frames(timeline, fps), strict=True):
            start, duration = frames.first / fps, frames.count / fps
            rect = view_rect(scene.motion, scene.image_width, scene.image_height, width, height, 0.0)
            clip = ImageClip(scene.image_path).cropped(x1=rect.x, y1=rect.y, x2=rect.x + rect.w, y2=rect.y + rect.h)
            clip = clip.resized((width, height)).with_duration(duration).with_start(start)
            z0, z1 = scene.motion.zoom_start, scene.motion.zoom_end
            clip = clip.resized(lambda t, z0=z0, z1=z1, d=duration: z0 + (z1 - z0) * t / d).with_position("center")
            if scene.transition_in is not None:
                clip = clip.with_effects([vfx.CrossFadeIn(scene.transition_in.duration)])
            layers.append(clip)
        layout = caption_layout(width, height)
        style = STYLES[timeline.captions.style]
        for page in paginate(timeline.captions.sentences, style, layout):
            text = "\n".join(" ".join(w.text for w in line) for line in page.lines)
            caption = TextClip(
                font=font_roboto.font_files[style.font_file],
                text=text,
                font_size=layout.font_size,
                color="white",
                stroke_color="black",
                stroke_width=4,
                method="label",
                text_align="center",
            )
            layers.append(
                caption.with_start(page.start)
                .with_duration(page.end - page.start)
                .with_position(("center", layout.box_top))
            )
        video = CompositeVideoClip(layers, size=(width, height)).with_duration(timeline.duration)
        video = video.with_audio(AudioFileClip(audio_path))
        spec = PRESETS["standard"]
        video.write_videofile(
            str(out),
            fps=fps,
            codec="libx264",
            preset=spec.x264_preset,
            audio_codec="aac",
            ffmpeg_params=["-crf", str(spec.crf), "-tune", "stillimage", "-pix_fmt", "yuv420p"],
            threads=os.cpu_count(),
            logger=None,
        )

    return timed(build)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-moviepy", action="store_true", help="leave out (c), which takes ~10 minutes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    renderer = FFmpegRenderer()  # the production defaults: standard preset, 30 fps, hardware encoder if it works
    fps = renderer.fps
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        work = Path(tmp)
        story, narration, images, wav, music = synthetic_episode(work / "inputs", args.scenes, args.duration)
        look = LookSettings(grade="warm_bedtime", vignette=0.35, caption_style="storybook")
        timeline = build_timeline(story, narration, images, wav, music, look, True, "Moonlit Bedtime Stories", seed=7)
        frames = total_frames(timeline, fps)
        print(
            f"episode: {args.duration:.0f} s, {len(timeline.scenes)} scenes, {frames} frames per format at {fps} fps, "
            f"{len(narration.words)} caption words; {os.cpu_count()} cores"
        )

        def render(formats: list[str]) -> Any:
            """Everything it takes to get finished files: soundtrack, stills, then each format's encode."""
            tmp_dir = work / "tmp"
            prepared = renderer.prepare(timeline, formats, tmp_dir)
            made = [
                renderer.render(timeline, fmt, prepared, work / f"{format_slug(fmt)}.mp4", tmp_dir) for fmt in formats
            ]
            return prepared, made

        prepared, made = render(["9:16"])  # warm-up: encoder detection, page cache
        encoder_name, audio_path = made[0].encoder, prepared.audio.path
        (work / "mix.m4a").write_bytes(Path(audio_path).read_bytes())
        all_formats = list(FORMAT_SIZES)

        ours: dict[str, list[float]] = {"9:16": [], "all": []}
        shared: list[float] = []
        limit: dict[str, list[float]] = {fmt: [] for fmt in FORMAT_SIZES}
        peak_total_kb = peak_children_kb = 0
        for run in range(args.runs):
            for fmt in FORMAT_SIZES:
                limit[fmt].append(encoder_limit(fmt, frames, fps, work / f"limit-{format_slug(fmt)}.mp4"))
            with TreeMemory() as memory:
                ours["9:16"].append(timed(lambda: render(["9:16"])))
                started = time.perf_counter()
                prepared_all, _ = render(all_formats)
                ours["all"].append(time.perf_counter() - started)
            shared.append(prepared_all.seconds)
            peak_total_kb = max(peak_total_kb, memory.peak_total_kb)
            peak_children_kb = max(peak_children_kb, memory.peak_children_kb)
            print(
                f"run {run + 1}: ours 9:16 {ours['9:16'][-1]:.1f} s, all {ours['all'][-1]:.1f} s "
                f"(shared soundtrack + stills {shared[-1]:.1f} s); encoder limit "
                + ", ".join(f"{fmt} {limit[fmt][-1]:.1f} s" for fmt in FORMAT_SIZES)
            )

        moviepy_s = None
        if not args.skip_moviepy:
            print("(c) MoviePy 9:16, one run ...")
            moviepy_s = moviepy_render(timeline, str(work / "mix.m4a"), "9:16", fps, work / "moviepy.mp4")
            print(f"    {moviepy_s:.1f} s")

    med = {k: statistics.median(v) for k, v in ours.items()}
    lim = {k: statistics.median(v) for k, v in limit.items()}
    result = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "episode": {
            "duration_s": args.duration,
            "scenes": args.scenes,
            "fps": fps,
            "frames_per_format": frames,
            "preset": renderer.preset,
            "encoder": encoder_name,
            "x264_preset": PRESETS["standard"].x264_preset,
        },
        "runs": args.runs,
        "ours_9x16_s": round(med["9:16"], 2),
        "ours_all_formats_s": round(med["all"], 2),
        "shared_soundtrack_and_stills_s": round(statistics.median(shared), 2),
        "encoder_limit_s": {fmt: round(v, 2) for fmt, v in lim.items()},
        "moviepy_9x16_s": round(moviepy_s, 2) if moviepy_s is not None else None,
        "ratio_9x16_vs_encoder": round(med["9:16"] / lim["9:16"], 3),
        "ratio_all_vs_encoder": round(med["all"] / sum(lim.values()), 3),
        "speedup_vs_moviepy": round(moviepy_s / med["9:16"], 1) if moviepy_s is not None else None,
        "peak_rss_mb": round(peak_total_kb / 1024, 1),
        "peak_rss_children_mb": round(peak_children_kb / 1024, 1),
        "x_realtime_9x16": round(args.duration / med["9:16"], 2),
        "samples": {"ours": ours, "encoder_limit": limit},
        "targets": TARGETS,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    for key, target in TARGETS.items():
        value = result[key]
        if value is None:
            continue
        ok = value >= target if key == "speedup_vs_moviepy" else value <= target
        print(
            f"{key}: {value} (target {'>=' if key == 'speedup_vs_moviepy' else '<='} {target}) "
            f"{'met' if ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
