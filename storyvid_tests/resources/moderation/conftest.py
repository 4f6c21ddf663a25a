"""The moderation fake for these tests: a fresh loopback server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storyvid_tests.fakes.moderation_fake import FakeModerationServer


@pytest.fixture
def fake() -> Iterator[FakeModerationServer]:
    with FakeModerationServer() as server:
        yield server
