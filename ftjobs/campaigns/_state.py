"""A campaign's optional local state file: the job ids this machine's runs created, so a
resume can fetch them by id instead of relying on the list alone (a list that lags behind a
create would otherwise hide a member's job for a moment).

It only saves requests; the truth is on the server. The file is JSON, written whole to a
temporary file beside it and renamed over it (atomic: a crash leaves the old file or the new
one, never half of one).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .._errors import CampaignPlanError

__all__ = ["STATE_VERSION", "CampaignState"]

STATE_VERSION = 1
"""The version of the file's format."""


class CampaignState:
    """The state file of one campaign.

    Args:
        path: The file (created on the first save; its directory must exist).
        name: The campaign's name.
        fingerprint: The campaign's plan digest (``Campaign.fingerprint``).

    Raises:
        CampaignPlanError: The file exists but is another campaign's, another plan's, or not a
            state file.
    """

    __slots__ = ("_fingerprint", "_name", "jobs", "path")

    def __init__(self, path: str | os.PathLike[str], name: str, fingerprint: str) -> None:
        self.path = Path(path)
        self._name = name
        self._fingerprint = fingerprint
        self.jobs: dict[int, dict[int, str]] = {}
        """Job ids by member index, then attempt."""
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CampaignPlanError(f"state {self.path}: cannot read it: {exc.strerror}") from None
        try:
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            jobs = {
                int(index): {int(attempt): str(job_id) for attempt, job_id in attempts.items()}
                for index, attempts in data["jobs"].items()
            }
            name, fingerprint = data["name"], data["fingerprint"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CampaignPlanError(
                f"state {self.path}: not a campaign state file ({exc})"
            ) from None
        if name != self._name:
            raise CampaignPlanError(
                f"state {self.path} is campaign {name!r}'s, not {self._name!r}'s"
            )
        if fingerprint != self._fingerprint:
            raise CampaignPlanError(
                f"state {self.path} was written for another plan of campaign {name!r}"
            )
        self.jobs = jobs

    def record(self, index: int, attempt: int, job_id: str) -> None:
        """Remember the job of a member's attempt, and save the file."""
        if self.jobs.get(index, {}).get(attempt) == job_id:
            return
        self.jobs.setdefault(index, {})[attempt] = job_id
        self._save()

    def _save(self) -> None:
        data: Mapping[str, object] = {
            "version": STATE_VERSION,
            "name": self._name,
            "fingerprint": self._fingerprint,
            "jobs": {
                str(index): {str(a): job_id for a, job_id in sorted(attempts.items())}
                for index, attempts in sorted(self.jobs.items())
            },
        }
        folder = self.path.parent
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=1)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
