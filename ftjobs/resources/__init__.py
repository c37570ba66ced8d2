"""API resources: ``client.jobs``, ``client.files``, ``client.uploads``, ``client.checkpoints``
and ``client.graders``."""

from .checkpoints import CheckpointPermissions, Checkpoints
from .files import Files
from .graders import Graders
from .jobs import Jobs
from .uploads import Uploads

__all__ = ["CheckpointPermissions", "Checkpoints", "Files", "Graders", "Jobs", "Uploads"]
