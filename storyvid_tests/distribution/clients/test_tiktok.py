"""TikTok's chunking rules for FILE_UPLOAD."""

from __future__ import annotations

import pytest

from storyvid_assets.distribution.clients.tiktok import ChunkRules, chunk_plan, nominal_chunk_size

MB = 1024 * 1024


def test_tiktok_chunk_rules() -> None:
    assert chunk_plan(3 * MB, 10 * MB) == [(0, 3 * MB - 1)]  # under 5 MB: one chunk
    plan = chunk_plan(23 * MB, 5 * MB)
    assert len(plan) == 4 and plan[-1] == (15 * MB, 23 * MB - 1)  # the last chunk absorbs the remainder
    assert all(last - first + 1 == 5 * MB for first, last in plan[:-1])
    assert nominal_chunk_size(200 * MB, 100 * MB) == 64 * MB  # chunks are at most 64 MB
    assert len(chunk_plan(200 * MB, 100 * MB)) == 3
    with pytest.raises(ValueError):
        chunk_plan(0, 5 * MB)
    small = ChunkRules(min_chunk=256 * 1024)
    assert len(chunk_plan(1_200_000, 256 * 1024, small)) == 4
