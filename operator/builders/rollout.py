"""The pod-template annotation that rolls pods when what they read from outside changes.

A Deployment rolls its pods when its pod template changes. Settings passed in the
template (image, env) do that by themselves; the content of a Secret mounted or read as
env does not. So each workload's template carries a digest of the data of the Secrets it
uses, plus any config that lives outside the template: a new password or certificate is
a new digest, hence a new template, hence a rollout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

CONFIG_HASH = "archivestream.io/config-hash"

SecretData = Mapping[str, Mapping[str, str] | None]


def digest(value: Any) -> str:
    """A stable hex digest of any JSON-able value."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def config_hash(secrets: SecretData, names: Iterable[str], config: Any = None) -> str:
    """Digest of the named Secrets' data (absent ones count as absent) and `config`."""
    used = {name: dict(secrets.get(name) or {}) or None for name in sorted(set(names))}
    return digest({"secrets": used, "config": config})[:16]
