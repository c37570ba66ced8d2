"""API resources: ``client.jobs``, ``client.files``, ``client.uploads``, ``client.checkpoints``
and ``client.graders``."""

from .checkpoints import CheckpointPermissions, Checkpoints
from .files import Files
from .graders import Graders
from .jobs import AzureJobs, Jobs
from .uploads import Uploads

__all__ = [
    "AzureJobs",
    "CheckpointPermissions",
    "Checkpoints",
    "Files",
    "Graders",
    "Jobs",
    "Uploads",
]
