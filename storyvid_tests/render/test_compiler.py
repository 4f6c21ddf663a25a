"""The ffmpeg graph of a timeline: each stream's filter chain, frames that tile the video, and the exact graph.

Commands are compared after normalisation (``normalise``): inputs by file name, each output's streams as filter
trees, so neither label names, filter order in the text, option order nor escaping style matter. The snapshot
``snapshots/render_graphs.json`` was taken from the string-assembling compiler that came before the ffmpeg-python
one; a change of the graph ffmpeg receives shows up as a difference there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import ffmpeg
import pytest

from storyvid_assets.channels import LookSettings
from storyvid_assets.models import FORMAT_SIZES, format_slug
from storyvid_assets.render.captions import build_ass
from storyvid_assets.render.compiler import (
    FormatScene,
    apply,
    caption_filter,
    ffmpeg_args,
    plan_format,
    still_args,
    total_frames,
)
from storyvid_assets.render.encoders import LIBX264, PRESETS, Encoder, Preset, encoder_for
from storyvid_assets.render.engine import fonts_dir
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.look import still_filters
from storyvid_assets.render.timeline import AudioMix, CaptionTrack, Timeline, TimelineScene, Transition, choose_motion

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "render_graphs.json"
FPS = 30
VAAPI = encoder_for("h264_vaapi")


def sample_timeline() -> Timeline:
    """Four scenes (zoom in, pan left, zoom out, pan up) joined by a crossfade, a fade through black, a slide up."""
    sizes = [(2048, 2048), (1792, 1024), (1024, 1792), (2048, 2048)]
    moves = [("zoom_in", (0.3, 0.6)), ("pan_left", (0.7, 0.4)), ("zoom_out", (0.5, 0.2)), ("pan_up", None)]
    transitions = [
        None,
        Transition(kind="crossfade", at=3.0, duration=0.8),
        Transition(kind="fade_black", at=6.0, duration=1.0),
        Transition(kind="slide", at=9.0, duration=0.6, direction="up"),
    ]
    bounds = [0.0, 3.0, 6.0, 9.0, 12.0]
    scenes = [
        TimelineScene(
            index=i,
            image_path=f"scene-{i}.png",
            image_width=w,
            image_height=h,
            start=bounds[i],
            end=bounds[i + 1],
            motion=choose_motion(kind, focus),  # type: ignore[arg-type]
            transition_in=transitions[i],
        )
        for i, ((w, h), (kind, focus)) in enumerate(zip(sizes, moves, strict=True))
    ]
    return Timeline(
        duration=12.0,
        scenes=scenes,
        captions=CaptionTrack(),
        look=LookSettings(grade="warm_bedtime", vignette=0.35, grain=0.3),
        audio=AudioMix(narration_path="narration.wav"),
    )


def format_scenes(timeline: Timeline, fmt: str, preset: Preset) -> list[FormatScene]:
    width, height = FORMAT_SIZES[fmt]
    return plan_format(timeline, width, height, FPS, preset, tag=f"{format_slug(fmt)}-")


def encode_args(timeline: Timeline, fmt: str, preset: Preset, encoder: Encoder) -> list[str]:
    width, height = FORMAT_SIZES[fmt]
    scenes = format_scenes(timeline, fmt, preset)
    return ffmpeg_args(
        timeline, scenes, width, height, FPS, preset, "mix.m4a", "captions.ass", "/fonts", encoder, Path("/out/v.mp4")
    )


def stills_args(timeline: Timeline, preset: Preset) -> list[str]:
    """One still-preparing run for all three formats, as the engine batches it."""
    by_format = [format_scenes(timeline, fmt, preset) for fmt in FORMAT_SIZES]
    jobs = [(scene.image_path, [scenes[i] for scenes in by_format]) for i, scene in enumerate(timeline.scenes)]
    look = timeline.look
    return still_args(jobs, still_filters(look.grade, look.vignette, look.grain, PRESETS[preset].animated_grain))


# --------------------------------------------------------------------------- normalising an ffmpeg command

GLOBAL_OPTIONS = {"-y": 0, "-vaapi_device": 1}  # option -> number of values


def _token(text: str, i: int, stops: str) -> tuple[str, int]:
    """Like ffmpeg's ``av_get_token``: up to an unquoted, unescaped stop; quotes, escapes and outer spaces removed."""
    out: list[str] = []
    keep = 0
    while i < len(text) and text[i].isspace():
        i += 1
    while i < len(text) and text[i] not in stops:
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            keep = len(out)
        elif text[i] == "'":
            end = text.index("'", i + 1)
            out.extend(text[i + 1 : end])
            i = end + 1
            keep = len(out)
        else:
            out.append(text[i])
            i += 1
            keep = len(out) if not out[-1].isspace() else keep
    return "".join(out[:keep]), i


def _options(text: str) -> dict[str, Any]:
    """A filter's options (unescaped once already): positional values and named ones."""
    args: list[str] = []
    named: dict[str, str] = {}
    i = 0
    while i < len(text):
        key = re.match(r"[A-Za-z0-9_./-]+=", text[i:])
        value, i = _token(text, i + (key.end() if key else 0), ":")
        if key:
            named[key.group(0)[:-1]] = value
        else:
            args.append(value)
        i += 1
    return {"args": args, "options": dict(sorted(named.items()))}


def _labels(text: str, i: int) -> tuple[list[str], int]:
    labels = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != "[":
            return labels, i
        end = text.index("]", i)
        labels.append(text[i + 1 : end])
        i = end + 1


def parse_graph(text: str) -> list[dict[str, Any]]:
    """The filters of a ``-filter_complex`` text with their input and output labels (chain links named here)."""
    filters: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    i = 0
    while i < len(text):
        ins, i = _labels(text, i)
        name, i = _token(text, i, "=,;[")
        options = ""
        if i < len(text) and text[i] == "=":
            options, i = _token(text, i + 1, "[],;")
        outs, i = _labels(text, i)
        node = {"name": name, **_options(options), "ins": ins, "outs": outs}
        if previous is not None:
            link = f"link{len(filters)}"
            previous["outs"].append(link)
            node["ins"].append(link)
        filters.append(node)
        previous = node if i < len(text) and text[i] == "," else None
        i += 1
    return filters


def _tree(filters: list[dict[str, Any]], inputs: list[str], label: str) -> dict[str, Any]:
    stream = re.fullmatch(r"(\d+)(?::([av]))?", label)
    if stream:
        return {"input": inputs[int(stream.group(1))], "stream": stream.group(2) or ""}
    node = next(f for f in filters if label in f["outs"])
    args = [] if node["name"] == "split" else node["args"]  # the count follows from the consumers
    tree: dict[str, Any] = {"filter": node["name"], "args": args, "options": node["options"]}
    return {**tree, "inputs": [_tree(filters, inputs, x) for x in node["ins"]]}


def normalise(args: list[str]) -> dict[str, Any]:
    """Global options, inputs (file and options) and each output (file, options, its streams as filter trees)."""
    inputs: list[str] = []
    input_options: list[dict[str, str]] = []
    outputs: list[dict[str, Any]] = []
    found: set[tuple[str, ...]] = set()
    pending: dict[str, str] = {}
    maps: list[str] = []
    graph = ""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_OPTIONS:
            found.add(tuple(args[i : i + 1 + GLOBAL_OPTIONS[arg]]))
            i += 1 + GLOBAL_OPTIONS[arg]
        elif arg.startswith("-"):
            value = args[i + 1]
            if arg == "-i":
                inputs.append(value)
                input_options.append(dict(sorted(pending.items())))
                pending = {}
            elif arg == "-filter_complex":
                graph = value
            elif arg == "-map":
                maps.append(value)
            else:
                pending[arg] = value
            i += 2
        else:
            outputs.append({"file": arg, "options": dict(sorted(pending.items())), "maps": maps})
            pending, maps = {}, []
            i += 1
    filters = parse_graph(graph)
    for output in outputs:
        output["streams"] = [_tree(filters, inputs, m.strip("[]")) for m in output.pop("maps")]
    return {
        "global": sorted(" ".join(x) for x in found),
        "inputs": sorted(({"file": f, "options": o} for f, o in zip(inputs, input_options, strict=True)), key=str),
        "outputs": sorted(outputs, key=lambda o: o["file"]),
    }


def chain(tree: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The filter names of the single-input run ending at ``tree``, first filter first, and what feeds that run."""
    names = []
    while "filter" in tree:
        names.append(tree["filter"])
        if len(tree["inputs"]) != 1:
            break
        tree = tree["inputs"][0]
    return names[::-1], tree["inputs"] if "filter" in tree else [tree]


def frames(tree: dict[str, Any]) -> int:
    """Frames a stream carries: a loop makes them, an overlay (``shortest``) keeps the fewer, a concat adds up."""
    if tree["filter"] == "loop":
        return int(tree["options"]["loop"]) + 1
    counts = [frames(x) for x in tree["inputs"]]
    return sum(counts) if tree["filter"] == "concat" else min(counts)


def video(args: list[str]) -> dict[str, Any]:
    (output,) = normalise(args)["outputs"]
    return output["streams"][0]


# --------------------------------------------------------------------------- tests


def test_each_stream_has_its_filter_chain() -> None:
    timeline = sample_timeline()
    out = video(encode_args(timeline, "9:16", "standard", LIBX264))
    names, pieces = chain(out)
    assert names == ["concat", "copy", "fade", "fade", "ass", "format"]
    assert out["args"] == ["yuv420p"] and out["inputs"][0]["options"] == {
        "filename": "captions.ass",
        "fontsdir": "/fonts",
    }
    assert len(pieces) == 7  # m0, crossfade, m1, fade through black, m2, slide, m3

    zoom, pan = ["split", "loop", "setpts", "scale", "crop", "setsar"], ["split", "loop", "setpts", "crop", "setsar"]
    for position, moves in zip((0, 2, 4, 6), (zoom, pan, zoom, pan), strict=True):  # middles: one still each
        assert chain(pieces[position]) == (moves, [{"input": f"still-9x16-{position // 2:03d}.yuv", "stream": "v"}])

    crossfade, fade_black, slide = pieces[1], pieces[3], pieces[5]
    assert crossfade["filter"] == "overlay" and crossfade["options"] == {"format": "yuv420", "shortest": "1"}
    tail, head = crossfade["inputs"]
    assert chain(tail)[0] == zoom and chain(head)[0] == [*pan, "format", "fade"]
    assert head["options"]["alpha"] == "1" and head["options"]["nb_frames"] == str(frames(head))

    assert fade_black["filter"] == "concat" and fade_black["options"] == {"a": "0", "n": "2", "v": "1"}
    tail, head = fade_black["inputs"]
    assert chain(tail)[0] == [*pan, "fade"] and tail["options"]["t"] == "out"
    assert chain(head)[0] == [*zoom, "fade"] and head["options"]["t"] == "in"

    assert slide["filter"] == "overlay" and slide["options"]["eval"] == "frame"
    assert slide["options"]["x"] == "0" and slide["options"]["y"].startswith("1920*(1-")
    assert [chain(x)[0] for x in slide["inputs"]] == [zoom, pan]

    assert frames(out) == total_frames(timeline, FPS)  # the pieces tile the video exactly


def test_inputs_outputs_and_encoder_filters() -> None:
    timeline = sample_timeline()
    command = normalise(encode_args(timeline, "16:9", "standard", LIBX264))
    stills = [i for i in command["inputs"] if i["file"].startswith("still-")]
    assert [s["options"]["-f"] for s in stills] == ["rawvideo"] * 4
    assert all(s["options"]["-framerate"] == "30" and s["options"]["-pix_fmt"] == "yuv420p" for s in stills)
    (output,) = command["outputs"]
    assert output["streams"][1] == {"input": "mix.m4a", "stream": "a"}
    assert output["options"]["-c:a"] == "copy" and output["options"]["-frames:v"] == str(total_frames(timeline, FPS))

    draft = normalise(encode_args(timeline, "16:9", "draft", LIBX264))
    assert "scale" not in json.dumps(draft)  # draft renders hold zooms: no per-frame scaling

    vaapi = encode_args(timeline, "9:16", "high", VAAPI)
    assert vaapi[:2] == ["-vaapi_device", "/dev/dri/renderD128"]  # before the inputs
    names, _ = chain(video(vaapi))
    assert names == ["concat", "copy", "noise", "fade", "fade", "ass", "format", "format", "hwupload"]


def test_prepared_stills_decode_each_image_once_for_every_format() -> None:
    command = normalise(stills_args(sample_timeline(), "standard"))
    assert len(command["inputs"]) == 4 and len(command["outputs"]) == 12
    for output in command["outputs"]:
        assert output["options"] == {"-f": "rawvideo", "-frames:v": "1"}
        names, source = chain(output["streams"][0])
        assert names == ["split", "crop", "scale", "colorbalance", "eq", "vignette", "noise", "format"]
        assert source[0]["input"] == f"scene-{int(output['file'][-7:-4])}.png"


def test_an_image_shown_twice_is_one_input() -> None:
    """ffmpeg-python treats equal nodes as one node, so the still run groups scenes by image (two ``-i`` of one file
    would otherwise meet as one input feeding two splits)."""
    timeline = sample_timeline()
    reused = timeline.scenes[3].model_copy(update={"image_path": "scene-0.png", "image_width": 2048})
    timeline = timeline.model_copy(update={"scenes": [*timeline.scenes[:3], reused]})
    command = normalise(stills_args(timeline, "standard"))
    assert [i["file"] for i in command["inputs"]] == ["scene-0.png", "scene-1.png", "scene-2.png"]
    assert len(command["outputs"]) == 12


def chain_lines(command: dict[str, Any]) -> dict[str, Any]:
    """``command`` (normalised) with each output's streams written as filter chains, one line per chain:
    ``<sources> | filter args name=value | ...``; a source is an input stream or ``#n``, the chain on line n."""

    def visit(tree: dict[str, Any], lines: list[str]) -> str:
        if "input" in tree:
            return f"{tree['input']}:{tree['stream']}"
        run = [tree]
        while len(tree["inputs"]) == 1 and "filter" in tree["inputs"][0]:
            tree = tree["inputs"][0]
            run.append(tree)
        sources = [visit(x, lines) for x in tree["inputs"]]
        steps = [" ".join([f["filter"], *f["args"], *(f"{k}={v}" for k, v in f["options"].items())]) for f in run]
        lines.append(" | ".join([" ".join(sources), *steps[::-1]]))
        return f"#{len(lines) - 1}"

    outputs = []
    for output in command["outputs"]:
        lines: list[str] = []
        streams = [visit(tree, lines) for tree in output["streams"]]
        outputs.append({**output, "streams": streams, "chains": lines})
    return {**command, "outputs": outputs}


def snapshot_graphs() -> dict[str, Any]:
    """The three formats' encodes and the shared still preparation of ``sample_timeline``."""
    timeline = sample_timeline()
    graphs = {fmt: encode_args(timeline, fmt, "standard", LIBX264) for fmt in FORMAT_SIZES}
    graphs["stills"] = stills_args(timeline, "standard")
    return {case: chain_lines(normalise(args)) for case, args in graphs.items()}


def test_graph_is_the_snapshot_taken_from_the_string_compiler() -> None:
    expected = json.loads(SNAPSHOT.read_text())
    actual = json.loads(json.dumps(snapshot_graphs()))
    assert actual.keys() == expected.keys()
    for case in expected:
        assert actual[case] == expected[case], case


@pytest.mark.parametrize("folder", ["plain", "cap:tions, it's [1]; a=b"])
def test_caption_paths_reach_ffmpeg_whatever_their_characters(tmp_path: Path, folder: str) -> None:
    """The ass filter's file names are escaped for both levels of the filtergraph syntax (``:`` and ``=`` too)."""
    work = tmp_path / folder
    work.mkdir()
    ass = work / "c:aptions.ass"
    ass.write_text(build_ass(CaptionTrack(), [], 320, 240, 1.0))
    stream = ffmpeg.input("color=c=gray:s=320x240:r=10:d=1", f="lavfi").video
    frame = tmp_path / "frame.png"
    run_ffmpeg(apply(stream, [caption_filter(str(ass), fonts_dir())]).output(str(frame), **{"frames:v": 1}).get_args())
    assert frame.stat().st_size > 0
