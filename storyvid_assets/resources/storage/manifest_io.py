"""IO manager for asset payloads: small pydantic manifests stored as JSON in the media store.

Media bytes never pass through it; the manifests point at media keys. A manifest records its model's
import path so a downstream asset gets the same pydantic type back.
"""

from __future__ import annotations

import importlib
import json

import dagster as dg
from pydantic import BaseModel

from storyvid_assets.episode import manifest_key
from storyvid_assets.resources.storage.media_store import MediaStore


def _load_model(path: str) -> type[BaseModel]:
    module, _, name = path.rpartition(".")
    model = getattr(importlib.import_module(module), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{path} is not a pydantic model")
    return model


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores each partition's pydantic output as ``<channel>/<date>/manifests/<asset>.json``."""

    media_store: MediaStore

    def handle_output(self, context: dg.OutputContext, obj: BaseModel | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, BaseModel):
            raise TypeError(f"asset {context.asset_key.to_user_string()} must return a pydantic model")
        envelope = {"model": f"{type(obj).__module__}.{type(obj).__qualname__}", "data": obj.model_dump(mode="json")}
        key = manifest_key(context.partition_key, context.asset_key.path[-1])
        self.media_store.put_bytes(key, json.dumps(envelope, indent=1).encode(), "application/json")

    def load_input(self, context: dg.InputContext) -> BaseModel:
        key = manifest_key(context.partition_key, context.asset_key.path[-1])
        if not self.media_store.exists(key):
            raise FileNotFoundError(
                f"{context.asset_key.to_user_string()} has no output for partition {context.partition_key}: "
                "materialize it first (or the whole graph for this partition)"
            )
        envelope = json.loads(self.media_store.read_bytes(key))
        return _load_model(envelope["model"]).model_validate(envelope["data"])
