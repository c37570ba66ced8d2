"""What the Files and Uploads APIs accept, written once for both sides: the SDK checks a call
against it before sending, and the emulator enforces it on what it receives.

Pure constants: no imports, so the emulator can take them without loading the client.
"""

from __future__ import annotations

__all__ = ["FILE_PURPOSES", "MAX_PART_BYTES", "MAX_UPLOAD_BYTES", "UPLOAD_PURPOSES"]

FILE_PURPOSES = ("fine-tune", "batch", "assistants", "vision", "user_data", "evals")
"""The purposes a file may be uploaded with (``POST /files``; ``fine-tune-results`` files are
only made by jobs)."""
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
"""The purposes an upload may have (``POST /uploads``): a file of another purpose cannot be
sent in parts."""
MAX_PART_BYTES = 64 * 1024 * 1024
"""The API's limit on one part: 64 MiB."""
MAX_UPLOAD_BYTES = 8 * 1024**3
"""The API's limit on one upload: 8 GiB."""
