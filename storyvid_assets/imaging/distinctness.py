"""How different an episode's scene pictures are: difference hashes and colour histograms between scene pairs.

A 64-bit difference hash (dHash: is each pixel of a 9x8 grey thumbnail brighter than its right neighbour) differs
in about 32 bits between unrelated pictures and in 0-4 between a picture and its resize. The colour-histogram
distance is the total variation (half the L1 distance, 0..1) between 8x8x8-bin RGB histograms of 64 px thumbnails.
"""

from __future__ import annotations

import io
from itertools import combinations
from statistics import median
from typing import NamedTuple

import numpy as np
from PIL import Image
from pydantic import BaseModel

HASH_W, HASH_H = 9, 8
HIST_SIDE = 64
HIST_BINS = 8


class Distinctness(BaseModel):
    """Pairwise distances between the scene pictures of one episode."""

    pairs: int
    median_dhash_bits: float
    min_dhash_bits: int
    median_histogram_distance: float
    min_histogram_distance: float


def as_image(picture: bytes | Image.Image) -> Image.Image:
    return Image.open(io.BytesIO(picture)) if isinstance(picture, bytes) else picture


def dhash(picture: bytes | Image.Image) -> int:
    """64-bit difference hash of a picture (PNG bytes or an image)."""
    grey = as_image(picture).convert("L").resize((HASH_W, HASH_H), Image.Resampling.BOX)
    px = np.asarray(grey, np.int16)
    bits = (px[:, :-1] > px[:, 1:]).flatten()
    return int(np.packbits(bits).view(">u8")[0])


def colour_histogram(picture: bytes | Image.Image) -> np.ndarray:
    """The normalised 8x8x8-bin RGB histogram of a 64 px thumbnail."""
    rgb = as_image(picture).convert("RGB").resize((HIST_SIDE, HIST_SIDE), Image.Resampling.BOX)
    q = np.asarray(rgb, np.int32) * HIST_BINS // 256
    index = (q[..., 0] * HIST_BINS + q[..., 1]) * HIST_BINS + q[..., 2]
    hist = np.bincount(index.ravel(), minlength=HIST_BINS**3).astype(np.float64)
    return hist / hist.sum()


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance between two normalised histograms, 0 (same colours) .. 1 (no colour shared)."""
    return float(np.abs(a - b).sum() / 2)


class Fingerprint(NamedTuple):
    """What distinctness compares of one picture; small, so a picture need not be kept to compare it later."""

    dhash: int
    histogram: np.ndarray


def fingerprint(picture: bytes | Image.Image) -> Fingerprint:
    return Fingerprint(dhash(picture), colour_histogram(picture))


def distinctness_of(prints: list[Fingerprint]) -> Distinctness:
    """dHash and colour-histogram distances over every pair of fingerprints (at least two)."""
    if len(prints) < 2:
        raise ValueError(f"distinctness needs at least two pictures, got {len(prints)}")
    pairs = list(combinations(prints, 2))
    bits = [(a.dhash ^ b.dhash).bit_count() for a, b in pairs]
    dists = [histogram_distance(a.histogram, b.histogram) for a, b in pairs]
    return Distinctness(
        pairs=len(bits),
        median_dhash_bits=float(median(bits)),
        min_dhash_bits=min(bits),
        median_histogram_distance=round(float(median(dists)), 4),
        min_histogram_distance=round(min(dists), 4),
    )


def distinctness(pictures: list[bytes] | list[Image.Image]) -> Distinctness:
    """dHash and colour-histogram distances over every pair of ``pictures`` (at least two)."""
    return distinctness_of([fingerprint(p) for p in pictures])
