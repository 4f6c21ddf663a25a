"""Compile a :class:`Timeline` into one ffmpeg command per output format.

Per scene the still is cropped to the part the move will ever show, graded and scaled once, converted to yuv420p
and looped (the loop hands out references to one frame, so a still costs nothing per frame). The move is then a
moving ``crop`` (pans) or a per-frame ``scale`` plus ``crop`` (zooms); the crop offset is computed from the frame
time, so zooms stay centred on the subject. Transitions blend only the overlapping frames (alpha overlay, fades,
moving overlay) and everything is concatenated; the fades at the ends and the ASS captions/cards run on the joined
stream. Grade and vignette are baked into the stills (see ``look``). x264 (or a hardware encoder) is the bottleneck
by design.

The graph is built with ffmpeg-python: streams are objects (inputs, filters, split, overlay, concat, outputs),
and it writes the ``-filter_complex`` text, labels and escaping included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from storyvid_assets.render.encoders import PRESETS, Encoder, Preset, video_codec_args
from storyvid_assets.render.look import Filter, grain_filter
from storyvid_assets.render.timeline import Motion, Timeline, TimelineScene

Stream = Any  # an ffmpeg-python stream (the library has no type hints)

REGION_SAMPLES = 9
REGION_MARGIN_PX = 2


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def contains(self, px: float, py: float) -> bool:
        return self.x - 1e-6 <= px <= self.x + self.w + 1e-6 and self.y - 1e-6 <= py <= self.y + self.h + 1e-6


def cover_scale(image_w: int, image_h: int, out_w: int, out_h: int) -> float:
    """Scale at which the image just covers the output (zoom 1)."""
    return max(out_w / image_w, out_h / image_h)


def effective_motion(motion: Motion, full_motion: bool) -> Motion:
    """Draft renders hold zooms (no per-frame scaling); pans are kept."""
    if full_motion or motion.zoom_start == motion.zoom_end:
        return motion
    zoom = max(motion.zoom_start, motion.zoom_end)
    return motion.model_copy(update={"zoom_start": zoom, "zoom_end": zoom})


def view_rect(motion: Motion, image_w: int, image_h: int, out_w: int, out_h: int, progress: float) -> Rect:
    """The part of the source image shown at ``progress`` (0..1) of the scene, in source pixels."""
    zoom = motion.zoom_start + (motion.zoom_end - motion.zoom_start) * progress
    scale = cover_scale(image_w, image_h, out_w, out_h) * zoom
    w, h = out_w / scale, out_h / scale
    cx = motion.focus[0] * image_w + motion.pan[0] * (progress - 0.5) * w
    cy = motion.focus[1] * image_h + motion.pan[1] * (progress - 0.5) * h
    cx = min(max(cx, w / 2), image_w - w / 2)
    cy = min(max(cy, h / 2), image_h - h / 2)
    return Rect(cx - w / 2, cy - h / 2, w, h)


@dataclass(frozen=True)
class SceneGeometry:
    """Pixel plan of one scene in one format."""

    region: tuple[int, int, int, int]  # x, y, w, h cropped from the source once
    scaled: tuple[int, int]  # size of the region after the one-off scale (at the scene's largest zoom)
    zooms: bool  # per-frame scaling needed


def scene_geometry(motion: Motion, image_w: int, image_h: int, out_w: int, out_h: int) -> SceneGeometry:
    rects = [view_rect(motion, image_w, image_h, out_w, out_h, i / (REGION_SAMPLES - 1)) for i in range(REGION_SAMPLES)]
    x0 = max(0, int(min(r.x for r in rects)) - REGION_MARGIN_PX)
    y0 = max(0, int(min(r.y for r in rects)) - REGION_MARGIN_PX)
    x1 = min(image_w, int(max(r.x + r.w for r in rects)) + 1 + REGION_MARGIN_PX)
    y1 = min(image_h, int(max(r.y + r.h for r in rects)) + 1 + REGION_MARGIN_PX)
    zmax = max(motion.zoom_start, motion.zoom_end)
    k = cover_scale(image_w, image_h, out_w, out_h) * zmax
    sw, sh = _even_up((x1 - x0) * k), _even_up((y1 - y0) * k)
    return SceneGeometry(
        (x0, y0, x1 - x0, y1 - y0), (max(sw, out_w), max(sh, out_h)), motion.zoom_start != motion.zoom_end
    )


def _even_up(value: float) -> int:
    return 2 * int(-(-round(value, 6) // 2))


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def motion_filters(
    scene: TimelineScene,
    motion: Motion,
    geom: SceneGeometry,
    out_w: int,
    out_h: int,
    frames: int,
    fps: int,
    offset: int = 0,
) -> list[Filter]:
    """Per-frame part of a scene: optional scale (zoom) and the moving crop, as expressions of the frame index.

    The index comes from the frame time (``round(t*fps)``, plus ``offset`` for a piece that starts later in the
    scene): ``scale``'s ``n`` counts from 1, ``crop``'s from 0.
    """
    iw, ih = scene.image_width, scene.image_height
    rx, ry, rw, rh = geom.region
    sw, sh = geom.scaled
    s0 = cover_scale(iw, ih, out_w, out_h)
    u = f"((round(t*{fps})+{offset})/{max(frames - 1, 1)})"
    z0, z1 = motion.zoom_start, motion.zoom_end
    zoom = f"({_num(z0)}+{_num(z1 - z0)}*{u})"
    view_w, view_h = f"({_num(out_w / s0)}/{zoom})", f"({_num(out_h / s0)}/{zoom})"
    # centre of the view in source pixels (the same clamped formula as view_rect)
    cx = f"clip({_num(motion.focus[0] * iw)}+{_num(motion.pan[0])}*({u}-0.5)*{view_w},{view_w}/2,{_num(iw)}-{view_w}/2)"
    cy = f"clip({_num(motion.focus[1] * ih)}+{_num(motion.pan[1])}*({u}-0.5)*{view_h},{view_h}/2,{_num(ih)}-{view_h}/2)"
    zmax = max(z0, z1)
    filters: list[Filter] = []
    if geom.zooms:
        fw = f"(2*ceil({_num(sw)}*{zoom}/{_num(zmax)}/2))"
        fh = f"(2*ceil({_num(sh)}*{zoom}/{_num(zmax)}/2))"
        frame_w, frame_h = f"max({out_w},{fw})", f"max({out_h},{fh})"
        filters.append(Filter("scale", {"w": frame_w, "h": frame_h, "eval": "frame", "flags": "bilinear"}))
    else:
        frame_w, frame_h = str(sw), str(sh)
    x = f"clip(({cx}-{rx})*{frame_w}/{rw}-{out_w}/2,0,{frame_w}-{out_w})"
    y = f"clip(({cy}-{ry})*{frame_h}/{rh}-{out_h}/2,0,{frame_h}-{out_h})"
    return [*filters, Filter("crop", {"w": out_w, "h": out_h, "x": x, "y": y})]


@dataclass(frozen=True)
class SceneFrames:
    first: int  # first output frame the scene is on screen (transition in included)
    last: int  # one past its last frame (transition out included)

    @property
    def count(self) -> int:
        return self.last - self.first


def transition_frames(timeline: Timeline, fps: int) -> list[tuple[int, int]]:
    """``[start, end)`` output frames of each transition (into scenes 1..n-1): at least one frame long, and every
    scene keeps at least one frame of its own between its transitions."""
    total = total_frames(timeline, fps)
    spans: list[tuple[int, int]] = []
    floor = 1  # the first frame a transition may start at: scene 0 keeps frame 0
    for scene in timeline.scenes[1:]:
        assert scene.transition_in is not None
        start = max(round(scene.transition_in.start * fps), floor)
        end = max(round(scene.transition_in.end * fps), start + 1)
        spans.append((start, end))
        floor = end + 1
    if spans and spans[-1][1] >= total:
        raise ValueError(
            f"{len(timeline.scenes)} scenes do not fit in {total} frames at {fps} fps; "
            "raise the frame rate or use fewer scenes"
        )
    return spans


def scene_frames(timeline: Timeline, fps: int) -> list[SceneFrames]:
    """Frame ranges of each scene's stream, overlapping by the transitions; the last ends at the total."""
    total = total_frames(timeline, fps)
    spans = transition_frames(timeline, fps)
    firsts = [0] + [a for a, _ in spans]
    lasts = [b for _, b in spans] + [total]
    return [SceneFrames(first, last) for first, last in zip(firsts, lasts, strict=True)]


def total_frames(timeline: Timeline, fps: int) -> int:
    return max(1, round(timeline.duration * fps))


def transition(
    scene: TimelineScene, frames: int, fps: int, out_w: int, out_h: int, tail: Stream, head: Stream
) -> Stream:
    """The ``tail`` piece of one scene joined to the ``head`` piece of the next by ``scene``'s transition in.

    For crossfades and slides both pieces are the whole ``frames``-long overlap; for a fade through black the tail
    piece is the overlap's first half and the head piece its second half (see :func:`scene_pieces`). Built from
    overlay and fade rather than xfade: measured on 1080x1920 frames, xfade spends ~6-11 ms per frame, an alpha
    overlay ~2.4 ms and a fade ~1.9 ms.
    """
    assert scene.transition_in is not None
    kind, direction = scene.transition_in.kind, scene.transition_in.direction
    if kind == "crossfade":
        head = head.filter("format", "yuva420p").filter("fade", t="in", alpha=1, start_frame=0, nb_frames=frames)
        return ffmpeg.filter([tail, head], "overlay", format="yuv420", shortest=1)
    if kind == "fade_black":
        half = fade_black_split(frames)
        tail = tail.filter("fade", t="out", start_frame=0, nb_frames=half)
        head = head.filter("fade", t="in", start_frame=0, nb_frames=frames - half)
        return ffmpeg.concat(tail, head, v=1, a=0)
    # slide: the new scene slides in over the old one from the side it is named after
    progress = f"(1-(round(t*{fps})+1)/{frames})"
    x, y = {
        "left": (f"{out_w}*{progress}", "0"),
        "right": (f"-{out_w}*{progress}", "0"),
        "up": ("0", f"{out_h}*{progress}"),
        "down": ("0", f"-{out_h}*{progress}"),
    }[direction]
    return ffmpeg.filter([tail, head], "overlay", x=x, y=y, eval="frame", shortest=1)


def fade_black_split(frames: int) -> int:
    """Frames of a fade through black spent fading out (the rest fade in)."""
    return max(1, frames // 2) if frames > 1 else 1


@dataclass(frozen=True)
class FormatScene:
    """One scene as rendered in one format: its move, pixel geometry, frame range and prepared still."""

    scene: TimelineScene
    motion: Motion
    geometry: SceneGeometry
    frames: SceneFrames
    still: str  # file name of the prepared still: raw yuv420p at ``geometry.scaled``


def plan_format(
    timeline: Timeline, out_w: int, out_h: int, fps: int, preset: Preset, tag: str = ""
) -> list[FormatScene]:
    """Every scene of ``timeline`` in an ``out_w`` x ``out_h`` format; ``tag`` names their still files."""
    spec = PRESETS[preset]
    scenes = []
    for i, (scene, frames) in enumerate(zip(timeline.scenes, scene_frames(timeline, fps), strict=True)):
        motion = effective_motion(scene.motion, spec.full_motion)
        geometry = scene_geometry(motion, scene.image_width, scene.image_height, out_w, out_h)
        scenes.append(FormatScene(scene, motion, geometry, frames, f"still-{tag}{i:03d}.yuv"))
    return scenes


def apply(stream: Stream, filters: list[Filter]) -> Stream:
    """``stream`` through ``filters`` in order."""
    for item in filters:
        stream = stream.filter(item.name, *item.args, **item.options)
    return stream


def still_args(jobs: list[tuple[str, list[FormatScene]]], look: list[Filter]) -> list[str]:
    """One ffmpeg run that decodes each source image once and writes the prepared still of every scene that uses it
    (one per format): cropped, scaled, graded once, as a raw yuv420p frame.

    ``jobs`` pairs a source image with its scenes. Doing this in short processes of its own keeps the big decoded
    images and their filter buffers out of the long encoding process, whose memory then holds one small frame per
    scene.
    """
    by_image: dict[str, list[FormatScene]] = {}
    for image, scenes in jobs:
        by_image.setdefault(image, []).extend(scenes)
    outputs = []
    for image, scenes in by_image.items():
        copies = ffmpeg.input(image).video.split()
        for k, scene in enumerate(scenes):
            rx, ry, rw, rh = scene.geometry.region
            sw, sh = scene.geometry.scaled
            still = copies[k].filter("crop", rw, rh, rx, ry).filter("scale", sw, sh, flags="lanczos")
            still = apply(still, look).filter("format", "yuv420p")
            outputs.append(still.output(scene.still, f="rawvideo", **{"frames:v": 1}))
    return ffmpeg.merge_outputs(*outputs).get_args(overwrite_output=True)


@dataclass(frozen=True)
class Piece:
    """A run of one scene's frames fed by its own input: head (transition in), middle, or tail (transition out)."""

    scene: FormatScene
    position: int  # the scene's position in the timeline
    role: str  # "h" | "m" | "t"
    first: int  # first frame within the scene's stream
    last: int  # one past the last

    @property
    def label(self) -> str:
        return f"{self.role}{self.position}"


def scene_pieces(scenes: list[FormatScene]) -> list[Piece]:
    """Each scene cut into head, middle and tail pieces.

    Every piece has its own loop of the (one-frame) still, so no filter ever pulls frames of a piece that is not
    playing yet (splitting a scene's frame stream would: an overlay waiting for a tail pulls the whole middle through
    the split, and those frames pile up in memory until the concat reaches them - measured 2.5 GB for 60 s).
    """
    overlaps = [0] + [scenes[i - 1].frames.last - scenes[i].frames.first for i in range(1, len(scenes))] + [0]
    pieces: list[Piece] = []
    for i, scene in enumerate(scenes):
        head, tail, count = overlaps[i], overlaps[i + 1], scene.frames.count
        head_first = 0
        tail_last = count
        if i > 0 and _kind(scenes[i]) == "fade_black":
            head_first = fade_black_split(head)  # the first half of the overlap is the previous scene fading out
        if i + 1 < len(scenes) and _kind(scenes[i + 1]) == "fade_black":
            tail_last = count - tail + fade_black_split(tail)
        for role, a, b in (("h", head_first, head), ("m", head, count - tail), ("t", count - tail, tail_last)):
            if b > a:
                pieces.append(Piece(scene, i, role, a, b))
    return pieces


def _kind(scene: FormatScene) -> str:
    return scene.scene.transition_in.kind if scene.scene.transition_in else ""


def piece_stream(still: Stream, piece: Piece, out_w: int, out_h: int, fps: int) -> Stream:
    """The frames of ``piece``: its scene's one-frame still looped, then moved (zoom and crop)."""
    scene = piece.scene
    looped = still.filter("loop", loop=piece.last - piece.first - 1, size=1, start=0).filter(
        "setpts", "N/(FRAME_RATE*TB)"
    )
    move = motion_filters(scene.scene, scene.motion, scene.geometry, out_w, out_h, scene.frames.count, fps, piece.first)
    return apply(looped, move).filter("setsar", 1)


def finishing_filters(
    timeline: Timeline, fps: int, ass_file: str | None, fonts_dir: str | None, animated_grain: bool
) -> list[Filter]:
    """What runs on the joined stream: animated grain, the fades at both ends, captions and cards, yuv420p."""
    # `copy` hands every frame on in one pool of its own: otherwise the encoder's queue holds each piece's buffers
    # and every piece's pool grows to the queue's depth (measured: 570 -> 470 MB peak for 30 s of 1080x1920)
    filters = [Filter("copy"), *(grain_filter(timeline.look.grain) if animated_grain else [])]
    total = total_frames(timeline, fps)
    if timeline.fade_in_s > 0:
        filters.append(Filter("fade", {"t": "in", "st": 0, "d": _num(timeline.fade_in_s)}))
    if timeline.fade_out_s > 0:
        start = _num(total / fps - timeline.fade_out_s)
        filters.append(Filter("fade", {"t": "out", "st": start, "d": _num(timeline.fade_out_s)}))
    if ass_file:
        filters.append(caption_filter(ass_file, fonts_dir))
    return [*filters, Filter("format", args=("yuv420p",))]


def caption_filter(ass_file: str, fonts_dir: str | None) -> Filter:
    """libass drawing the captions and cards of ``ass_file`` with the fonts in ``fonts_dir``."""
    return Filter("ass", {"filename": ass_file, **({"fontsdir": fonts_dir} if fonts_dir else {})})


def video_stream(
    timeline: Timeline,
    scenes: list[FormatScene],
    stills: list[Stream],
    out_w: int,
    out_h: int,
    fps: int,
    ass_file: str | None,
    fonts_dir: str | None,
    encoder: Encoder,
    animated_grain: bool = False,
) -> Stream:
    """The video of one format from the prepared ``stills`` (one input per scene).

    Transitions join a tail and the next head; all pieces are concatenated, so a frame outside transitions passes
    through no blending at all.
    """
    pieces = scene_pieces(scenes)
    streams: dict[str, Stream] = {}
    for i, still in enumerate(stills):
        mine = [p for p in pieces if p.position == i]
        # the input is one frame: splitting it hands each piece's loop a reference, nothing is pulled later
        copies = still.video.split()
        for k, piece in enumerate(mine):
            streams[piece.label] = piece_stream(copies[k], piece, out_w, out_h, fps)
    order = [streams["m0"]]
    for i in range(1, len(scenes)):
        overlap = scenes[i - 1].frames.last - scenes[i].frames.first
        joined = transition(scenes[i].scene, overlap, fps, out_w, out_h, streams[f"t{i - 1}"], streams[f"h{i}"])
        order += [joined, streams[f"m{i}"]]
    video = ffmpeg.concat(*order, v=1, a=0) if len(order) > 1 else order[0]
    finish = finishing_filters(timeline, fps, ass_file, fonts_dir, animated_grain)
    return apply(video, [*finish, *upload_filters(encoder)])


def upload_filters(encoder: Encoder) -> list[Filter]:
    """The encoder's upload chain (text such as ``,format=nv12,hwupload``: names with at most one plain value)."""
    filters = []
    for item in encoder.upload_filter.split(","):
        if item:
            name, _, value = item.partition("=")
            filters.append(Filter(name, args=(value,) if value else ()))
    return filters


def ffmpeg_args(
    timeline: Timeline,
    scenes: list[FormatScene],
    out_w: int,
    out_h: int,
    fps: int,
    preset: Preset,
    audio_path: str | None,
    ass_file: str | None,
    fonts_dir: str | None,
    encoder: Encoder,
    output: Path,
) -> list[str]:
    """Arguments (without the executable) encoding ``timeline`` at ``out_w`` x ``out_h`` to ``output``."""
    stills = [
        ffmpeg.input(s.still, f="rawvideo", pix_fmt="yuv420p", video_size=s.geometry.scaled, framerate=fps)
        for s in scenes
    ]
    video = video_stream(
        timeline, scenes, stills, out_w, out_h, fps, ass_file, fonts_dir, encoder, PRESETS[preset].animated_grain
    )
    streams = [video]
    options = _options(video_codec_args(encoder, preset, fps))
    if audio_path:
        streams.append(ffmpeg.input(audio_path).audio)
        options["c:a"] = "copy"
    options |= {"r": fps, "frames:v": total_frames(timeline, fps), "movflags": "+faststart"}
    encode = ffmpeg.output(*streams, str(output), **options)
    return [*encoder.input_args, *encode.get_args(overwrite_output=True)]


def _options(args: list[str]) -> dict[str, str]:
    """``["-crf", "22", ...]`` as ``{"crf": "22", ...}`` (every option takes a value)."""
    flags, values = args[::2], args[1::2]
    if len(flags) != len(values) or not all(f.startswith("-") for f in flags):
        raise ValueError(f"expected option/value pairs, got {args}")
    return {flag[1:]: value for flag, value in zip(flags, values, strict=True)}
