"""Counting the tokens of training examples offline: exactly with ``tiktoken`` when its
encoding is already cached on this machine, else an estimate of about 4 characters per token.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import tempfile
from collections.abc import Callable
from typing import Any

__all__ = ["ENCODING", "estimate_tokens", "tiktoken_counter"]

#: The encoding of the models that can be fine-tuned (gpt-4o, gpt-4.1 families).
ENCODING = "o200k_base"
_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
_ENCODING_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text``: about 4 characters per token."""
    return math.ceil(len(text) / 4)


def tiktoken_counter() -> Callable[[str], int] | None:
    """An exact counter when ``tiktoken`` is installed and its encoding is cached locally.

    tiktoken downloads an encoding on first use, and again when the cached copy is damaged;
    checking a file must not reach the network, so the encoding is used only when tiktoken's
    cache (named by the SHA-1 of the encoding's address) holds an intact copy.
    """
    try:
        tiktoken: Any = importlib.import_module("tiktoken")
    except ImportError:
        return None
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    cached = os.path.join(cache_dir, hashlib.sha1(_ENCODING_URL.encode()).hexdigest())
    try:
        with open(cached, "rb") as handle:
            intact = hashlib.sha256(handle.read()).hexdigest() == _ENCODING_SHA256
    except OSError:
        return None
    if not intact:
        return None
    encoding = tiktoken.get_encoding(ENCODING)

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    return count
