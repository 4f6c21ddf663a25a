"""Publishers: put a rendered video somewhere people can watch it."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import dagster as dg

from storyvid_assets.distribution.library import publish_to_library
from storyvid_assets.models import PlatformPost, PublishItem


class Publisher(dg.ConfigurableResource):
    """Publishes one video; publishing the same item twice must not create a second post."""

    @abstractmethod
    def publish(self, item: PublishItem) -> PlatformPost:
        """Publish ``item`` (idempotent per item) and return the post."""

    def gallery_path(self) -> Path | None:
        """A local page that shows what was published, where the publisher has one."""
        return None


class LocalPublisher(Publisher):
    """Publishes into a local channel library folder with an ``index.html`` gallery that plays the videos."""

    root: str

    def publish(self, item: PublishItem) -> PlatformPost:
        return publish_to_library(Path(self.root), item)

    def gallery_path(self) -> Path:
        return Path(self.root) / "index.html"
