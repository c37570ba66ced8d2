"""Hints added to errors whose usual cause is a mistake in the client's configuration."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["missing_version_hint"]

# Where the SDK's paths start below the base URL.
_ROOTS = re.compile(r"/(?:fine_tuning|files|uploads)(?:/|$)")
# The last segment of a base URL that names an API version: v1, v2, v1beta...
_VERSION = re.compile(r"v\d+[a-z0-9]*", re.IGNORECASE)


def missing_version_hint(method: str, url: str) -> str | None:
    """For a 404: "did you mean .../v1?" when the base URL the request went under does not
    end in a version segment (``http://127.0.0.1:8765`` for ``http://127.0.0.1:8765/v1``),
    with the full URL asked for; ``None`` when it does, or the URL is not one of ours."""
    parts = urlsplit(url)
    found = _ROOTS.search(parts.path)
    if found is None:
        return None
    base_path = parts.path[: found.start()].rstrip("/")
    last = base_path.rsplit("/", 1)[-1]
    if _VERSION.fullmatch(last) or (last == "openai" and "api-version=" in parts.query):
        return None  # a versioned base (or Azure's dated path): the 404 is about the resource
    base = urlunsplit((parts.scheme, parts.netloc, base_path, "", ""))
    return (
        f"did you mean {base}/v1? The base URL ends in no version segment; "
        f"the request was {method} {url}"
    )
