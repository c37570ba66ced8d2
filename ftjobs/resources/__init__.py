"""API resources: ``client.jobs``, ``client.files``, ``client.uploads``, ``client.checkpoints``
and ``client.graders`` (``client.jobs`` is an `AzureJobs` or a `TogetherJobs` on those
providers)."""

from ._checkpoints import CheckpointPermissions, Checkpoints
from ._files import Files
from ._graders import Graders
from ._jobs import AzureJobs, Jobs
from ._together import TogetherJobs
from ._uploads import Uploads

__all__ = [
    "AzureJobs",
    "CheckpointPermissions",
    "Checkpoints",
    "Files",
    "Graders",
    "Jobs",
    "TogetherJobs",
    "Uploads",
]
