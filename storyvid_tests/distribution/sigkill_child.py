"""The child process of ``test_sigkill.py``: one publishing run of one target against a loopback fake, to be
killed with SIGKILL at a random request. Argument: a JSON spec (client class and config, catalog, media, time)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    from storyvid_assets.distribution.publish import publish_target
    from storyvid_assets.resources import platforms
    from storyvid_tests.distribution.conftest import FakeClock, Media, make_env, make_item, make_options

    client = getattr(platforms, spec["client_class"])(**spec["client"])
    media = Media({fmt: Path(p) for fmt, p in spec["videos"].items()}, Path(spec["thumbnail"]))
    clock = FakeClock(datetime.fromisoformat(spec["now"]))
    platform, fmt = spec["platform"], spec["format"]
    item, options = make_item(media, platform, fmt), make_options(platform, fmt)
    outcome = publish_target(make_env(spec["catalog_url"], clock, run_id="run-killed"), client, item, options)
    print(json.dumps({"status": outcome.status, "error": outcome.error}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
