"""API resources: ``client.jobs`` and ``client.files``."""

from .files import Files
from .jobs import Jobs

__all__ = ["Files", "Jobs"]
