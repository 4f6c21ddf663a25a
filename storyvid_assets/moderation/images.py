"""Scene image checks: blank or near-uniform, too dark or too bright, near-duplicates, wrong size.

Near-duplicates are found with a perceptual hash (pHash: the signs of the lowest 8x8 DCT frequencies of a
32x32 grey thumbnail against their median), compared by Hamming distance.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np
from PIL import Image

from storyvid_assets.models import FORMAT_SIZES
from storyvid_assets.moderation.findings import Finding

HASH_SIZE = 8
HASH_SAMPLE = 32
STATS_SIZE = 256
BLANK_STD = 0.02  # luminance standard deviation below which an image shows nothing
DARK_MEAN, DARK_P99 = 0.04, 0.15  # too dark: nearly everything black, no highlight to see
BRIGHT_MEAN, BRIGHT_P01 = 0.96, 0.85  # too bright: nearly everything white, no shadow to see
DUPLICATE_MAX_DISTANCE = 4  # of 64 hash bits; re-encodes, resizes and small crops measure 0-2


@dataclass(frozen=True)
class ImageStats:
    width: int
    height: int
    mean: float  # luminance 0..1
    std: float
    p01: float
    p99: float
    phash: int


@cache
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


def phash(gray: Image.Image) -> int:
    """64-bit perceptual hash of a greyscale image."""
    small = np.asarray(gray.resize((HASH_SAMPLE, HASH_SAMPLE), Image.Resampling.LANCZOS), dtype=np.float64)
    dct = _dct_matrix(HASH_SAMPLE)
    freq = dct @ small @ dct.T
    low = freq[:HASH_SIZE, :HASH_SIZE].flatten()
    bits = low > np.median(low[1:])  # the DC term would dominate the median
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def image_stats(data: bytes) -> ImageStats:
    """Size, luminance statistics and perceptual hash of encoded image bytes."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        thumb = image.convert("L").resize((STATS_SIZE, STATS_SIZE), Image.Resampling.BOX)
    lum = np.asarray(thumb, dtype=np.float64) / 255.0
    return ImageStats(
        width=width,
        height=height,
        mean=float(lum.mean()),
        std=float(lum.std()),
        p01=float(np.percentile(lum, 1)),
        p99=float(np.percentile(lum, 99)),
        phash=phash(thumb),
    )


def largest_crop(width: int, height: int, target_w: int, target_h: int) -> tuple[int, int]:
    """The largest crop of aspect ``target_w:target_h`` that fits in ``width x height``."""
    aspect = target_w / target_h
    crop_w = min(width, round(height * aspect))
    return crop_w, round(crop_w / aspect)


@dataclass(frozen=True)
class ImageUnderCheck:
    scene_index: int
    key: str
    data: bytes
    declared_width: int
    declared_height: int


def _finding(image: ImageUnderCheck, category: str, what: str, why: str, score: float) -> Finding:
    return Finding(
        category=category,
        level="severe",
        blocking=True,
        what=what,
        where=f"scene {image.scene_index + 1} image ({image.key})",
        why=why,
        field="images",
        scene_index=image.scene_index,
        source="image check",
        score=round(score, 4),
    )


def check_image(image: ImageUnderCheck, stats: ImageStats, formats: list[str]) -> list[Finding]:
    """Problems of one image on its own: size, blankness, exposure."""
    findings: list[Finding] = []
    if (stats.width, stats.height) != (image.declared_width, image.declared_height):
        findings.append(
            _finding(
                image,
                "image_size",
                f"image is {stats.width}x{stats.height}, manifest says {image.declared_width}x{image.declared_height}",
                "the manifest must describe the stored file",
                stats.width * stats.height,
            )
        )
    for fmt in formats:
        target_w, target_h = FORMAT_SIZES[fmt]
        crop_w, crop_h = largest_crop(stats.width, stats.height, target_w, target_h)
        if crop_w < target_w:
            findings.append(
                _finding(
                    image,
                    "image_size",
                    f"{stats.width}x{stats.height} image gives at most a {crop_w}x{crop_h} {fmt} crop",
                    f"the {fmt} video is {target_w}x{target_h}; upscaling would blur it",
                    crop_w,
                )
            )
    if stats.std < BLANK_STD:
        findings.append(
            _finding(
                image,
                "image_blank",
                f"near-uniform image (luminance spread {stats.std:.3f})",
                f"an image whose luminance varies less than {BLANK_STD} shows nothing",
                stats.std,
            )
        )
    if stats.mean < DARK_MEAN and stats.p99 < DARK_P99:
        findings.append(
            _finding(
                image,
                "image_too_dark",
                f"too dark (mean luminance {stats.mean:.3f}, brightest 1% below {stats.p99:.2f})",
                f"mean under {DARK_MEAN} with almost no highlights is unreadable on phones",
                stats.mean,
            )
        )
    elif stats.mean > BRIGHT_MEAN and stats.p01 > BRIGHT_P01:
        findings.append(
            _finding(
                image,
                "image_too_bright",
                f"too bright (mean luminance {stats.mean:.3f}, darkest 1% above {stats.p01:.2f})",
                f"mean over {BRIGHT_MEAN} with almost no shadows looks washed out",
                stats.mean,
            )
        )
    return findings


def check_images(
    images: list[ImageUnderCheck], formats: list[str], max_distance: int = DUPLICATE_MAX_DISTANCE
) -> tuple[list[Finding], dict[int, ImageStats]]:
    """Findings for an episode's scene images, and the measured statistics per scene."""
    stats = {image.scene_index: image_stats(image.data) for image in images}
    findings: list[Finding] = []
    for image in images:
        findings += check_image(image, stats[image.scene_index], formats)
    for a, b in combinations(images, 2):
        distance = hamming(stats[a.scene_index].phash, stats[b.scene_index].phash)
        if distance <= max_distance:
            findings.append(
                Finding(
                    category="image_duplicate",
                    level="severe",
                    blocking=True,
                    what=f"scene {a.scene_index + 1} and scene {b.scene_index + 1} images are near-duplicates "
                    f"(perceptual hash distance {distance}/64)",
                    where=f"scene {a.scene_index + 1} image ({a.key}) and scene {b.scene_index + 1} image ({b.key})",
                    why=f"each scene needs its own picture; distance <= {max_distance} looks the same to viewers",
                    field="images",
                    scene_index=b.scene_index,
                    source="perceptual hash",
                    score=float(distance),
                )
            )
    return findings, stats
