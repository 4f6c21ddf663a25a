"""Scene layers painted back to front: sky, stars, sun/moon, landscape, water, weather, rooms, finish."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops

from storyvid_assets.imaging.canvas import Canvas, vertical_gradient
from storyvid_assets.imaging.palette import Color, Palette, mix, scale

SKY_SCALE = 4  # the sky is computed at 1/4 resolution: it is a smooth field
# Small marks (stars, snowflakes, raindrops, wave lines, grass) are scattered as densely as on a picture with this
# short side, whatever the size, and marks thinner than MIN_STROKE pixels are drawn that wide but fainter: a small
# preview shows the same scene as the full-size picture.
REFERENCE_SIDE = 2048
MIN_STROKE = 1.0


def reference_scale(canvas: Canvas) -> float:
    """How many times more marks per pixel this canvas gets than one of REFERENCE_SIDE."""
    return REFERENCE_SIDE / canvas.unit


@dataclass(frozen=True)
class Ground:
    """The top edge of the foreground ground, sampled across the canvas, in pixels."""

    xs: np.ndarray
    ys: np.ndarray
    land: tuple[float, float] | None = None  # at the sea: the x range of the headland before it drops away

    def top_at(self, x0: float, x1: float) -> float:
        """The lowest ground point under ``[x0, x1]`` (so things standing there never float)."""
        sel = (self.xs >= x0) & (self.xs <= x1)
        if not sel.any():
            return float(np.interp((x0 + x1) / 2, self.xs, self.ys))
        return float(self.ys[sel].max())


def value_noise(
    rng: np.random.Generator, size: tuple[int, int], cells: tuple[int, int], octaves: int = 3
) -> np.ndarray:
    """Smooth noise in 0..1 of shape ``(h, w)``: random grids upscaled bicubically and summed."""
    w, h = size
    total = np.zeros((h, w), np.float32)
    norm = 0.0
    for k in range(octaves):
        cx, cy = cells[0] * 2**k + 1, cells[1] * 2**k + 1
        grid = rng.random((cy, cx)).astype(np.float32)
        img = Image.fromarray(grid, "F").resize((w, h), Image.Resampling.BICUBIC)
        amp = 0.5**k
        total += np.asarray(img, np.float32) * amp
        norm += amp
    return np.clip(total / norm, 0.0, 1.0)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _rgb(c: Color) -> np.ndarray:
    return np.asarray(c, np.float32)


def sky_field(
    size: tuple[int, int],
    pal: Palette,
    horizon: float,
    rng: np.random.Generator,
    cloud_cover: float,
    halo: tuple[float, float, float] | None,
    storm: bool,
) -> np.ndarray:
    """The sky as a float RGB array: gradient, clouds, and a halo ``(x, y, radius)`` in this array's pixels."""
    w, h = size
    y = np.arange(h, dtype=np.float32)[:, None] / max(1.0, horizon)
    t_mid = smoothstep(0.0, 0.62, y)[..., None]
    t_hor = smoothstep(0.45, 1.0, y)[..., None]
    sky = _rgb(pal.sky_top) * (1 - t_mid) + _rgb(pal.sky_mid) * t_mid
    sky = sky * (1 - t_hor) + _rgb(pal.sky_horizon) * t_hor
    sky = np.broadcast_to(sky, (h, w, 3)).copy()
    if cloud_cover > 0:
        n = value_noise(rng, (w, h), (3, 5), octaves=4)
        stretch = value_noise(rng, (w, h), (2, 8), octaves=2)
        field = 0.6 * n + 0.4 * stretch
        density = smoothstep(1.0 - cloud_cover, 1.0 - cloud_cover + 0.22, field)
        density *= smoothstep(1.05, 0.6, y)  # thin out towards the horizon
        if storm:
            cloud = mix(pal.sky_top, pal.near, 0.3)
            highlight = mix(pal.sky_horizon, pal.face, 0.2)
        else:
            cloud = mix(pal.sky_mid, pal.face, 0.55)
            highlight = mix(pal.face, pal.glow, 0.5)
        shade = value_noise(rng, (w, h), (6, 4), octaves=2)[..., None]
        cloud_col = _rgb(cloud) * (1 - shade * 0.5) + _rgb(highlight) * shade * 0.5
        d = (density * (0.85 if storm else 0.65))[..., None]
        sky = sky * (1 - d) + cloud_col * d
    if halo is not None:
        hx, hy, hr = halo
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        d = np.sqrt((xs - hx) ** 2 + (ys - hy) ** 2) / max(1.0, hr)
        glow = (0.6 * np.exp(-(d - 1.0).clip(0) / 1.2) + 0.35 * np.exp(-d / 6.0))[..., None]
        sky = 255.0 - (255.0 - sky) * (1.0 - _rgb(pal.glow) / 255.0 * glow * 0.8)  # screen blend
    return sky


def paint_sky(
    canvas: Canvas,
    pal: Palette,
    horizon_px: float,
    rng: np.random.Generator,
    cloud_cover: float,
    celestial: tuple[float, float, float] | None,
    storm: bool,
    box: tuple[int, int, int, int] | None = None,
) -> None:
    """Fill ``box`` (default: whole canvas) with the sky; ``celestial`` is ``(x, y, r)`` in canvas pixels."""
    x0, y0, x1, y1 = box or (0, 0, canvas.width, canvas.height)
    bw, bh = x1 - x0, y1 - y0
    sw, sh = max(8, bw // SKY_SCALE), max(8, bh // SKY_SCALE)
    fx, fy = sw / bw, sh / bh
    halo = None
    if celestial is not None:
        halo = ((celestial[0] - x0) * fx, (celestial[1] - y0) * fy, celestial[2] * fx)
    field = sky_field((sw, sh), pal, (horizon_px - y0) * fy, rng, cloud_cover, halo, storm)
    small = Image.fromarray(np.clip(field + 0.5, 0, 255).astype(np.uint8), "RGB")
    canvas.image.paste(small.resize((bw, bh), Image.Resampling.BICUBIC), (x0, y0))


def paint_stars(
    canvas: Canvas, pal: Palette, box: tuple[int, int, int, int], rng: np.random.Generator, density: float = 1.0
) -> None:
    """Scattered stars of varied size and brightness; the brightest get a small halo."""
    x0, y0, x1, y1 = box
    area = (x1 - x0) * (y1 - y0) / (1024.0 * 1024.0) * reference_scale(canvas) ** 2
    n = int(320 * area * density) + 8
    xs = rng.uniform(x0, x1, n)
    ys = y0 + (y1 - y0) * rng.random(n) ** 1.4  # denser high in the sky
    bright = rng.random(n) ** 3.0
    radius = (0.5 + 1.6 * bright) * canvas.unit / 1024.0
    pen = canvas.pen(box)
    for x, y, b, r in zip(xs, ys, bright, radius, strict=True):
        drawn = max(float(r), MIN_STROKE * 0.5)
        pen.circle(float(x), float(y), drawn, fill=int((70 + 185 * b) * (r / drawn) ** 2))
    canvas.fill(pen, mix(pal.light, (255, 255, 255), 0.4))
    for x, y, b in zip(xs, ys, bright, strict=True):
        if b > 0.55:
            canvas.glow(float(x), float(y), canvas.unit * 0.012, pal.glow, 0.35 * float(b))


def paint_moon(
    canvas: Canvas, pal: Palette, x: float, y: float, r: float, crescent: bool, rng: np.random.Generator
) -> None:
    box = canvas.clip_box(x - r, y - r, x + r, y + r)
    pen = canvas.pen(box)
    pen.circle(x, y, r)
    if crescent:
        off = r * float(rng.uniform(0.35, 0.55))
        side = 1 if rng.random() < 0.5 else -1
        pen.circle(x + side * off, y - off * 0.3, r * 0.92, fill=0)
    canvas.fill(pen, pal.light)
    if not crescent:
        craters = canvas.pen(box)
        for _ in range(5):
            a, d = rng.uniform(0, 2 * np.pi), r * rng.uniform(0.1, 0.65)
            cr = r * float(rng.uniform(0.08, 0.2))
            craters.circle(x + d * float(np.cos(a)), y + d * float(np.sin(a)), cr)
        canvas.fill(craters, mix(pal.light, pal.sky_mid, 0.35), alpha=0.35)
    canvas.glow(x, y, r * 2.2, pal.glow, 0.35)


def paint_sun(canvas: Canvas, pal: Palette, x: float, y: float, r: float) -> None:
    pen = canvas.pen(canvas.clip_box(x - r, y - r, x + r, y + r))
    pen.circle(x, y, r)
    canvas.fill(pen, pal.light)
    canvas.glow(x, y, r * 2.5, pal.glow, 0.45)


def midpoint_ridge(rng: np.random.Generator, n_points: int, roughness: float) -> np.ndarray:
    """A jagged ridge line in 0..1 (1 = highest) by midpoint displacement, resampled to ``n_points``."""
    heights = np.array([rng.uniform(0.2, 0.6), rng.uniform(0.2, 0.6)])
    amp = 0.55
    for _ in range(9):
        mids = (heights[:-1] + heights[1:]) / 2 + rng.uniform(-amp, amp, heights.size - 1)
        out = np.empty(heights.size * 2 - 1)
        out[0::2], out[1::2] = heights, mids
        heights = out
        amp *= roughness
    heights = (heights - heights.min()) / max(1e-6, np.ptp(heights))
    return np.interp(np.linspace(0, 1, n_points), np.linspace(0, 1, heights.size), heights)


def sine_ridge(rng: np.random.Generator, xs01: np.ndarray, waves: int = 3) -> np.ndarray:
    """A smooth rolling line around 0 (roughly -1..1)."""
    y = np.zeros_like(xs01)
    for k in range(waves):
        freq = rng.uniform(1.0, 2.2) * (k + 1)
        y += np.sin(xs01 * freq * np.pi + rng.uniform(0, 2 * np.pi)) / (k + 1)
    return y / 1.6


def paint_ridge(canvas: Canvas, xs: np.ndarray, ys: np.ndarray, top: Color, bottom: Color, y_bottom: float) -> None:
    """Fill the area under the polyline ``(xs, ys)`` down to ``y_bottom`` with a vertical gradient."""
    box = canvas.clip_box(0, float(ys.min()), canvas.width, y_bottom, pad=1)
    pen = canvas.pen(box)
    pts = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    pen.polygon([(-2.0, y_bottom + 2), *pts, (canvas.width + 2.0, y_bottom + 2)])
    canvas.fill_gradient(pen, top, bottom)


def sample_xs(canvas: Canvas, step: float = 6.0) -> np.ndarray:
    n = max(16, int(canvas.width / step))
    return np.linspace(-2.0, canvas.width + 2.0, n)


def paint_mountains(
    canvas: Canvas, pal: Palette, horizon: float, rng: np.random.Generator, snowy: bool, zoom: float = 1.0
) -> None:
    """Two ranges of peaks on the horizon; ``zoom`` > 1 for a closer camera (taller peaks)."""
    far_rng, cap_rng, near_rng = rng.spawn(3)  # draw counts below depend on the size; keep the ranges apart
    xs = sample_xs(canvas)
    ridge = midpoint_ridge(far_rng, xs.size, 0.56)
    height = canvas.height * float(far_rng.uniform(0.18, 0.3)) * zoom
    ys = horizon + canvas.height * 0.02 - ridge * height
    top, bottom = mix(pal.far, pal.sky_horizon, 0.1), mix(pal.far, pal.sky_horizon, 0.45)
    paint_ridge(canvas, xs, ys, top, bottom, canvas.height)
    if snowy:
        line = ys.min() + height * float(cap_rng.uniform(0.3, 0.45))
        cap = np.minimum(ys + height * 0.12, line) + cap_rng.uniform(-1, 1, xs.size) * height * 0.02
        cap = np.maximum(cap, ys)
        pen = canvas.pen(canvas.clip_box(0, float(ys.min()), canvas.width, line + height * 0.1))
        pen.polygon(
            [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
            + [(float(x), float(y)) for x, y in zip(xs[::-1], cap[::-1], strict=True)]
        )
        canvas.fill(pen, mix(pal.snow, pal.far, 0.25))
    # a second, nearer and darker range
    ridge2 = midpoint_ridge(near_rng, xs.size, 0.5)
    ys2 = horizon + canvas.height * 0.03 - ridge2 * height * 0.55
    paint_ridge(canvas, xs, ys2, mix(pal.far, pal.mid, 0.5), mix(pal.far, pal.sky_horizon, 0.3), canvas.height)


def paint_hills(
    canvas: Canvas, pal: Palette, horizon: float, rng: np.random.Generator, snowy: bool, amp: float
) -> None:
    """Two rolling ridges, the nearer one darker; ``amp`` is their swell as a fraction of the height."""
    xs = sample_xs(canvas, 8.0)
    xs01 = xs / canvas.width
    for depth, (lift, haze) in enumerate(((0.05, 0.45), (0.0, 0.15))):
        ys = horizon - canvas.height * lift + sine_ridge(rng, xs01) * canvas.height * amp * (1 + depth * 0.4)
        base = mix(pal.mid, pal.snow, 0.75) if snowy else pal.mid
        top = mix(base, pal.sky_horizon, haze)
        bottom = mix(base, pal.near, 0.3 + 0.2 * depth)
        paint_ridge(canvas, xs, ys, top, bottom, canvas.height)


def paint_forest(
    canvas: Canvas, pal: Palette, baseline: float, rng: np.random.Generator, snowy: bool, zoom: float = 1.0
) -> None:
    """Two rows of conifers along ``baseline``; ``zoom`` scales the trees for the camera's distance."""
    for depth, row in enumerate(rng.spawn(2)):
        pen = canvas.pen(canvas.clip_box(0, baseline - canvas.unit * 0.2 * zoom, canvas.width, canvas.height))
        x = canvas.width * float(row.uniform(-0.02, 0.0))
        base = baseline + depth * canvas.unit * 0.02
        while x < canvas.width * 1.02:
            h = canvas.unit * float(row.uniform(0.05, 0.13)) * (1 + depth * 0.3) * zoom
            w = h * float(row.uniform(0.32, 0.45))
            pen.polygon([(x, base - h), (x + w / 2, base + 2), (x - w / 2, base + 2)])
            pen.rect(x - w * 0.06, base - 2, x + w * 0.06, base + canvas.unit * 0.01)
            x += w * float(row.uniform(0.45, 0.8))
        pen.rect(0, base, canvas.width, canvas.height)
        color = mix(pal.mid, pal.near, 0.35 + 0.35 * depth)
        top = mix(color, pal.sky_horizon, 0.25 - 0.2 * depth)
        if snowy:
            top = mix(top, pal.snow, 0.25)
        canvas.fill_gradient(pen, top, color)


def paint_city(
    canvas: Canvas, pal: Palette, baseline: float, rng: np.random.Generator, light: float, zoom: float = 1.0
) -> None:
    """A skyline of buildings with scattered lit windows; ``zoom`` scales the buildings."""
    pen = canvas.pen(canvas.clip_box(0, baseline - canvas.unit * 0.35 * zoom, canvas.width, canvas.height))
    windows = canvas.pen(pen.box)
    x = canvas.width * float(rng.uniform(-0.03, 0.0))
    while x < canvas.width:
        lit = np.random.default_rng(int(rng.integers(2**32)))  # each building's windows: size-independent draws
        w = canvas.unit * float(rng.uniform(0.04, 0.1)) * zoom
        h = canvas.unit * float(rng.uniform(0.06, 0.28)) * zoom
        top = baseline - h
        pen.rect(x, top, x + w, canvas.height)
        roof = rng.random()
        if roof < 0.2:
            pen.polygon([(x, top + 1), (x + w / 2, top - w * 0.5), (x + w, top + 1)])
        elif roof < 0.3:
            pen.rect(x + w * 0.45, top - h * 0.25, x + w * 0.55, top + 1)
        elif roof < 0.4:
            pen.ellipse(x + w * 0.15, top - w * 0.35, x + w * 0.85, top + w * 0.35)
        cols, rows = max(1, int(w / (canvas.unit * 0.014 * zoom))), max(1, int(h / (canvas.unit * 0.02 * zoom)))
        wx = w / (cols + 1)
        for r in range(rows):
            for c in range(cols):
                if lit.random() < 0.28:
                    cx, cy = x + wx * (c + 1), top + h * (r + 0.6) / (rows + 0.5)
                    s = canvas.unit * 0.004 * zoom
                    windows.rect(cx - s, cy - s * 1.3, cx + s, cy + s * 1.3)
        x += w + canvas.unit * float(rng.uniform(0.0, 0.012)) * zoom
    canvas.fill_gradient(pen, mix(pal.mid, pal.sky_horizon, 0.2), mix(pal.mid, pal.near, 0.5))
    canvas.fill(windows, pal.window, alpha=min(1.0, 0.35 + 0.65 * light))


def paint_sea(
    canvas: Canvas, pal: Palette, horizon: float, rng: np.random.Generator, reflect: tuple[float, float] | None
) -> None:
    """Water from the horizon down, with perspective wave lines and a glittering path under the sun/moon."""
    h = canvas.height
    box = (0, int(horizon), canvas.width, h)
    canvas.image.paste(
        vertical_gradient(
            (canvas.width, h - int(horizon)), mix(pal.water, pal.sky_horizon, 0.45), scale(pal.water, 0.7)
        ),
        box,
    )
    lines_rng, glints_rng = rng.spawn(2)  # the number of lines depends on the size; keep the glints apart
    lines = canvas.pen(box)
    n = int(140 * canvas.width / 1024 * reference_scale(canvas))
    for _ in range(n):
        t = float(lines_rng.random()) ** 1.8
        y = horizon + t * (h - horizon)
        length = canvas.unit * (0.02 + 0.12 * t) * float(lines_rng.uniform(0.5, 1.5))
        x = float(lines_rng.uniform(-length, canvas.width))
        thick = max(0.6, canvas.unit * 0.0025 * (0.3 + t))
        lines.ellipse(x, y - thick, x + length, y + thick, fill=int(lines_rng.uniform(90, 200)))
    canvas.fill(lines, mix(pal.water, pal.sky_horizon, 0.7), alpha=0.55)
    if reflect is not None:
        rx, strength = reflect
        glints = canvas.pen(box)
        for _ in range(int(90 * canvas.height / 1024 * reference_scale(canvas))):
            t = float(glints_rng.random())
            y = horizon + t * (h - horizon) * 0.95
            spread = canvas.unit * (0.01 + 0.1 * t)
            x = rx + float(glints_rng.normal(0, spread))
            length = canvas.unit * (0.01 + 0.05 * t) * float(glints_rng.uniform(0.4, 1.2))
            thick = max(0.6, canvas.unit * 0.002 * (0.4 + t))
            glints.ellipse(x - length / 2, y - thick, x + length / 2, y + thick, fill=int(glints_rng.uniform(120, 255)))
        canvas.fill(glints, pal.light, alpha=0.8 * strength)
        for k in range(6):
            canvas.glow(rx, horizon + (k + 0.5) * (h - horizon) / 6, canvas.unit * 0.06, pal.glow, 0.1 * strength)


def near_ground(canvas: Canvas, rng: np.random.Generator, base: float, amp: float, coast: str | None) -> Ground:
    """The foreground's top line. With ``coast`` ('left'/'right') the land is a headland on that side."""
    xs = sample_xs(canvas, 6.0)
    xs01 = xs / canvas.width
    ys = base + sine_ridge(rng, xs01, 2) * canvas.height * amp
    if coast is None:
        return Ground(xs, ys)
    edge = float(rng.uniform(0.68, 0.78))
    t = xs01 if coast == "left" else 1.0 - xs01
    drop = smoothstep(edge - 0.06, edge + 0.04, t)
    ys = ys + drop * canvas.height * 0.6
    brink = canvas.width * (edge - 0.05)
    return Ground(xs, ys, (0.0, brink) if coast == "left" else (canvas.width - brink, float(canvas.width)))


def paint_ground(canvas: Canvas, pal: Palette, ground: Ground, snowy: bool, rocky: bool) -> None:
    top = mix(pal.snow, pal.sky_horizon, 0.15) if snowy else mix(pal.near, pal.mid, 0.45)
    bottom = mix(pal.snow, pal.near, 0.35) if snowy else scale(pal.near, 0.8)
    if rocky and not snowy:
        top = mix(pal.near, pal.far, 0.35)
    paint_ridge(canvas, ground.xs, ground.ys, top, bottom, canvas.height)


def paint_grass(canvas: Canvas, pal: Palette, ground: Ground, rng: np.random.Generator) -> None:
    """Tufts along the ground's edge so it reads as a meadow, not a cut-out."""
    pen = canvas.pen(canvas.clip_box(0, float(ground.ys.min()) - canvas.unit * 0.03, canvas.width, canvas.height))
    for _ in range(int(220 * canvas.width / 1024 * reference_scale(canvas))):
        x = float(rng.uniform(0, canvas.width))
        y = float(np.interp(x, ground.xs, ground.ys)) + 2
        if y > canvas.height:
            continue
        blade = canvas.unit * float(rng.uniform(0.008, 0.025))
        lean = blade * float(rng.uniform(-0.5, 0.5))
        w = canvas.unit * 0.0022
        pen.polygon([(x - w, y + 2), (x + lean, y - blade), (x + w, y + 2)])
    canvas.fill(pen, mix(pal.near, pal.mid, 0.45))


def paint_rain(canvas: Canvas, pal: Palette, rng: np.random.Generator) -> None:
    pen = canvas.pen()
    slant = float(rng.uniform(-0.25, 0.1))
    width = canvas.unit * 0.0011
    ink = min(1.0, width / MIN_STROKE)
    for _ in range(int(900 * canvas.width * canvas.height / 1024**2 * reference_scale(canvas) ** 2)):
        x, y = float(rng.uniform(-50, canvas.width)), float(rng.uniform(-50, canvas.height))
        length = canvas.unit * float(rng.uniform(0.02, 0.05))
        fill = int(rng.uniform(80, 255) * ink)
        pen.line([(x, y), (x + slant * length, y + length)], max(MIN_STROKE, width), fill=fill)
    canvas.fill(pen, mix(pal.face, pal.sky_horizon, 0.4), alpha=0.4)


def paint_snowfall(canvas: Canvas, pal: Palette, rng: np.random.Generator) -> None:
    pen = canvas.pen()
    for _ in range(int(420 * canvas.width * canvas.height / 1024**2 * reference_scale(canvas) ** 2)):
        x, y = float(rng.uniform(0, canvas.width)), float(rng.uniform(0, canvas.height))
        r = canvas.unit * 0.0012 * (1 + 3.5 * float(rng.random()) ** 3)
        drawn = max(r, MIN_STROKE * 0.8)
        pen.circle(x, y, drawn, fill=int(rng.uniform(120, 255) * (r / drawn) ** 2))
    canvas.fill(pen, mix(pal.snow, (255, 255, 255), 0.6), alpha=0.9)


def paint_fog(
    canvas: Canvas, pal: Palette, rng: np.random.Generator, centre: float, thickness: float, amount: float
) -> None:
    """A horizontal band of mist centred on ``centre`` (pixels), ``thickness`` as a fraction of height."""
    sw, sh = max(8, canvas.width // 8), max(8, canvas.height // 8)
    y = np.arange(sh, dtype=np.float32)[:, None] * 8
    band = np.exp(-(((y - centre) / (canvas.height * thickness)) ** 2))
    wisps = 0.55 + 0.45 * value_noise(rng, (sw, sh), (3, 6), octaves=3)
    alpha = np.clip(band * wisps * amount * 255, 0, 255).astype(np.uint8)
    mask = Image.fromarray(alpha, "L").resize((canvas.width, canvas.height), Image.Resampling.BICUBIC)
    canvas.paste_mask(mask, (0, 0, canvas.width, canvas.height), mix(pal.sky_horizon, pal.face, 0.3))


def paint_lightning(canvas: Canvas, pal: Palette, rng: np.random.Generator, bottom: float) -> None:
    x = canvas.width * float(rng.uniform(0.15, 0.85))
    y = 0.0
    pts = [(x, y)]
    while y < bottom:
        y += canvas.unit * float(rng.uniform(0.03, 0.07))
        x += canvas.unit * float(rng.uniform(-0.05, 0.05))
        pts.append((x, min(y, bottom)))
    pen = canvas.pen()
    pen.line(pts, max(1.5, canvas.unit * 0.004))
    branch_at = len(pts) // 3
    bx, by = pts[branch_at]
    pen.line(
        [
            (bx, by),
            (bx + canvas.unit * 0.06, by + canvas.unit * 0.08),
            (bx + canvas.unit * 0.09, by + canvas.unit * 0.15),
        ],
        max(1.0, canvas.unit * 0.002),
    )
    canvas.fill(pen, mix(pal.light, (255, 255, 255), 0.5))
    for px, py in pts[::2]:
        canvas.glow(px, py, canvas.unit * 0.05, pal.glow, 0.35)


@dataclass(frozen=True)
class Room:
    floor_y: float
    window: tuple[float, float, float, float]


WINDOW_SIZES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    # width (of the short side), height and top (of the height) ranges
    "standard": ((0.2, 0.26), (0.3, 0.36), (0.12, 0.18)),
    "tall": ((0.15, 0.18), (0.44, 0.5), (0.08, 0.12)),
    "wide": ((0.4, 0.46), (0.24, 0.28), (0.14, 0.2)),
}


def paint_room(
    canvas: Canvas,
    pal: Palette,
    rng: np.random.Generator,
    window_side: str,
    floor: float = 0.77,
    window: str = "standard",
) -> Room:
    """Back wall with faint wallpaper stripes, skirting board, floorboards; returns the floor line and window.

    ``floor`` is the floor line as a fraction of the height; ``window`` a shape of ``WINDOW_SIZES``.
    """
    w, h = canvas.width, canvas.height
    floor_y = h * floor
    wall_top, wall_bottom = scale(pal.wall, 0.7), mix(pal.wall, pal.window, 0.08)
    canvas.image.paste(vertical_gradient((w, int(floor_y) + 1), wall_top, wall_bottom), (0, 0))
    stripes = canvas.pen((0, 0, w, int(floor_y) + 1))
    step = canvas.unit * float(rng.uniform(0.05, 0.09))
    x = 0.0
    while x < w:
        stripes.rect(x, 0, x + step * 0.35, floor_y)
        x += step
    canvas.fill(stripes, mix(pal.wall, pal.face, 0.3), alpha=0.07)
    canvas.image.paste(vertical_gradient((w, h - int(floor_y)), pal.floor, scale(pal.floor, 0.6)), (0, int(floor_y)))
    boards = canvas.pen((0, int(floor_y), w, h))
    y, gap = floor_y, canvas.unit * 0.012
    while y < h:
        boards.rect(0, y, w, y + max(1.0, canvas.unit * 0.0015))
        y += gap
        gap *= 1.35
    canvas.fill(boards, scale(pal.floor, 0.55), alpha=0.6)
    skirting = canvas.pen((0, int(floor_y - canvas.unit * 0.03), w, int(floor_y) + 2))
    skirting.rect(0, floor_y - canvas.unit * 0.028, w, floor_y + 1)
    canvas.fill(skirting, mix(pal.wall, pal.near, 0.55))
    width_range, height_range, top_range = WINDOW_SIZES[window]
    ww, wh = canvas.unit * float(rng.uniform(*width_range)), h * float(rng.uniform(*height_range))
    wx = w * (0.08 if window_side == "left" else 0.92) - (0 if window_side == "left" else ww)
    wy = h * float(rng.uniform(*top_range))
    wh = min(wh, floor_y - canvas.unit * 0.08 - wy)
    return Room(floor_y, (wx, wy, wx + ww, wy + wh))


def paint_window_frame(canvas: Canvas, pal: Palette, window: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = window
    t = canvas.unit * 0.014
    frame_color = mix(pal.wall, pal.near, 0.65)
    pen = canvas.pen(canvas.clip_box(x0 - t * 2, y0 - t * 2, x1 + t * 2, y1 + t * 3))
    pen.rect(x0 - t, y0 - t, x1 + t, y0 + t * 0.5)
    pen.rect(x0 - t, y1 - t * 0.5, x1 + t, y1 + t)
    pen.rect(x0 - t * 2, y1 + t * 0.5, x1 + t * 2, y1 + t * 2)  # sill
    pen.rect(x0 - t, y0 - t, x0 + t * 0.5, y1 + t)
    pen.rect(x1 - t * 0.5, y0 - t, x1 + t, y1 + t)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pen.rect(cx - t * 0.35, y0, cx + t * 0.35, y1)
    pen.rect(x0, cy - t * 0.35, x1, cy + t * 0.35)
    canvas.fill(pen, frame_color)
    curtains = canvas.pen(
        canvas.clip_box(x0 - canvas.unit * 0.08, y0 - t * 3, x1 + canvas.unit * 0.08, y1 + canvas.unit * 0.1)
    )
    cw = (x1 - x0) * 0.28
    curtains.polygon(
        [
            (x0 - cw * 0.6, y0 - t * 2),
            (x0 + cw, y0 - t * 2),
            (x0 + cw * 0.1, y1 + canvas.unit * 0.08),
            (x0 - cw * 0.6, y1 + canvas.unit * 0.08),
        ]
    )
    curtains.polygon(
        [
            (x1 + cw * 0.6, y0 - t * 2),
            (x1 - cw, y0 - t * 2),
            (x1 - cw * 0.1, y1 + canvas.unit * 0.08),
            (x1 + cw * 0.6, y1 + canvas.unit * 0.08),
        ]
    )
    canvas.fill(curtains, mix(pal.accent, pal.near, 0.45))


def paint_table(canvas: Canvas, pal: Palette, x0: float, x1: float, top: float, floor_y: float) -> None:
    th = canvas.unit * 0.022
    leg = canvas.unit * 0.018
    pen = canvas.pen(canvas.clip_box(x0, top, x1, floor_y + 2))
    pen.rect(x0, top, x1, top + th)
    pen.rect(x0 + leg, top, x0 + leg * 2, floor_y + canvas.unit * 0.01)
    pen.rect(x1 - leg * 2, top, x1 - leg, floor_y + canvas.unit * 0.01)
    pen.rect(x0 + leg * 1.5, top + th, x1 - leg * 1.5, top + th * 2.2)
    canvas.fill(pen, mix(pal.floor, pal.near, 0.5))


LIGHT_FIELD = 64  # samples across the light field; it is smooth, so it is computed small and resized


def light_falloff(
    image: Image.Image,
    rng: np.random.Generator,
    strength: float,
    light: tuple[float, float],
    reach: float = 1.0,
    dapple: float = 0.0,
    vignette: float = 0.0,
) -> Image.Image:
    """Darken away from the ``light`` (fractions of the size), dapple the light, darken the corners.

    ``dapple`` is the amplitude of broad patches of light and shade and of shafts slanting from the light: they
    differ from scene to scene, so two pictures of the same place are not lit the same.
    """
    w, h = image.size
    sw, sh = LIGHT_FIELD, max(8, round(LIGHT_FIELD * h / w))  # the same field at every size: previews agree
    lx, ly = light[0] * 2 - 1, light[1] * 2 - 1
    cx, cy = lx * reach, ly  # the falloff is centred ``reach`` times further out than the light: it spans the picture
    ys = np.linspace(-1, 1, sh, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, sw, dtype=np.float32)[None, :]
    v = 1.0 - strength * smoothstep(0.1, 2.6, (xs - cx) ** 2 + (ys - cy) ** 2)
    v = v * (1.0 - vignette * smoothstep(0.35, 2.0, xs**2 + ys**2))  # the corners, whatever the light
    if dapple > 0:
        patches = value_noise(rng, (sw, sh), (4, 3), octaves=2)
        slant = float(rng.uniform(0.2, 0.6)) * (1.0 if cx < 0 else -1.0)
        phase = (xs + 1.0) / 2.0 + slant * (ys + 1.0) / 2.0
        bands = np.zeros_like(phase)
        for k, amp in ((3, 0.6), (5, 0.4)):
            bands += amp * np.sin(2 * np.pi * (phase * k + float(rng.uniform(0, 1))))
        shafts = (patches - 0.5) * 1.2 + bands * 0.5
        clear = smoothstep(0.02, 0.5, (xs - lx) ** 2 + (ys - ly) ** 2)  # no shade on the sun or moon itself
        v = v * (1.0 + dapple * 0.6 * (shafts - shafts.max()) * clear)  # shade only: nothing outshines the light
    shade = Image.fromarray(np.clip(v * 255, 0, 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BICUBIC)
    return ImageChops.multiply(image, Image.merge("RGB", (shade, shade, shade)))


GRAIN_TILE = 512  # film grain is a tile of noise repeated: the eye cannot tell, and it is cheap at 2048 px


def grain(image: Image.Image, rng: np.random.Generator, amount: float = 3.2) -> Image.Image:
    """Fine monochrome film grain."""
    w, h = image.size
    tile = rng.standard_normal((min(h, GRAIN_TILE), min(w, GRAIN_TILE)), dtype=np.float32) * amount
    reps = (-(-h // tile.shape[0]), -(-w // tile.shape[1]))
    noise = np.tile(np.clip(tile + 0.5, -127, 127).astype(np.int16), reps)[:h, :w]
    out = np.asarray(image, np.int16) + noise[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
