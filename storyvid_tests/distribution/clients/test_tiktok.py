"""TikTok's chunking rules for FILE_UPLOAD, in the platform's units (decimal MB).

The rules, from the Media Transfer Guide (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide,
summarised in /work/shared/reference/platform-protocols.md): chunks of 5 MB to 64 MB; ``total_chunk_count =
floor(video_size / chunk_size)``; the last chunk absorbs the trailing bytes, up to 128 MB; a video under 5 MB goes
whole; a video over 64 MB must go in several chunks; 1 to 1000 chunks.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storyvid_assets.distribution.clients.tiktok import ChunkRules, chunk_plan, nominal_chunk_size
from storyvid_tests.fakes.tiktok import FakeTikTok

MB = 1_000_000
MiB = 1024 * 1024
MAX_SIZE = 1000 * 64 * MB  # 1000 chunks of 64 MB (the last may hold up to 63.99 MB more)
FAKE = FakeTikTok()


def assert_documented(size: int, ranges: list[tuple[int, int]]) -> None:
    """The rules as the documentation states them, written independently of the planner."""
    lengths = [last - first + 1 for first, last in ranges]
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1 and sum(lengths) == size
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    assert 1 <= len(ranges) <= 1000
    chunk = lengths[0]
    assert len(ranges) == size // chunk  # total_chunk_count = floor(video_size / chunk_size)
    if size < 5 * MB:
        assert len(ranges) == 1
        return
    assert 5 * MB <= chunk <= 64 * MB
    assert all(n == chunk for n in lengths[:-1])
    assert chunk <= lengths[-1] <= 128 * MB
    if size > 64 * MB:
        assert len(ranges) >= 2


BOUNDARIES = [
    5 * MB - 1, 5 * MB, 5 * MB + 1,
    64 * MB - 1, 64 * MB, 64 * MB + 1,
    128 * MB - 1, 128 * MB, 128 * MB + 1,
    127 * MiB, 64 * MiB, 64 * MiB + 1, 5 * MiB,
]  # fmt: skip
CHUNK_SETTINGS = [32 * MiB, 32 * MiB + 1, 48 * MiB, 64 * MB, 64 * MiB, 100 * MiB]


def sizes() -> st.SearchStrategy[int]:
    around_twice = st.sampled_from(CHUNK_SETTINGS).flatmap(
        lambda c: st.sampled_from([2 * c - 1, 2 * c, 2 * c + 1, 2 * min(c, 64 * MB) + 1])
    )
    return st.one_of(st.sampled_from(BOUNDARIES), around_twice, st.integers(1, MAX_SIZE))


@settings(max_examples=400, deadline=None)
@given(size=sizes(), wanted=st.one_of(st.sampled_from(CHUNK_SETTINGS), st.integers(32 * MiB, 256 * MiB)))
@example(size=127 * MiB, wanted=64 * MiB)  # was one 133 MB chunk
@example(size=100 * MB, wanted=64 * MiB)  # over 64 MB, under twice the chunk: was one chunk
@example(size=200 * MB, wanted=64 * MiB)  # was 64 MiB chunks (> 64 MB)
def test_chunk_plan_follows_the_documented_rules(size: int, wanted: int) -> None:
    ranges = chunk_plan(size, wanted)
    assert_documented(size, ranges)
    chunk = nominal_chunk_size(size, wanted)
    assert ranges[0][1] + 1 == chunk or len(ranges) == 1
    assert nominal_chunk_size(size, chunk) == chunk  # the announced size plans the same (resume, init)
    # the strict fake (its init check) accepts what the planner announces
    assert FAKE.expected_chunks(size, chunk) == len(ranges)


@settings(max_examples=200, deadline=None)
@given(size=sizes(), wanted=st.integers(5 * MB, 64 * MB))
def test_chunk_plan_with_any_allowed_chunk_size(size: int, wanted: int) -> None:
    assert_documented(size, chunk_plan(size, wanted))


def test_tiktok_chunk_rules() -> None:
    assert chunk_plan(3 * MB, 10 * MB) == [(0, 3 * MB - 1)]  # under 5 MB: one chunk
    plan = chunk_plan(23 * MB, 5 * MB)
    assert len(plan) == 4 and plan[-1] == (15 * MB, 23 * MB - 1)  # the last chunk absorbs the remainder
    assert all(last - first + 1 == 5 * MB for first, last in plan[:-1])
    assert nominal_chunk_size(200 * MB, 100 * MB) == 64 * MB  # chunks are at most 64 MB (decimal)
    assert len(chunk_plan(200 * MB, 100 * MB)) == 3
    assert [b - a + 1 for a, b in chunk_plan(127 * MiB, 64 * MiB)] == [64 * MB, 127 * MiB - 64 * MB]
    with pytest.raises(ValueError):
        chunk_plan(0, 5 * MB)
    small = ChunkRules(min_chunk=256 * 1024)
    assert len(chunk_plan(1_200_000, 256 * 1024, small)) == 4


def test_the_fake_refuses_plans_that_break_the_rules() -> None:
    fake = FakeTikTok()
    assert fake.expected_chunks(127 * MiB, 64 * MiB) is None  # 64 MiB > 64 MB
    assert fake.expected_chunks(100 * MB, 64 * MB) is None  # over 64 MB in one chunk
    assert fake.expected_chunks(127 * MiB, 63 * MB) == 2
    assert fake.expected_chunks(4 * MB, 4 * MB) == 1
    assert fake.expected_chunks(200 * MB, 40 * MB) == 5
    assert fake.expected_chunks(64 * MB * 1001, 64 * MB) is None  # over 1000 chunks
