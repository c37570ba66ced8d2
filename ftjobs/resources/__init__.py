"""API resources: ``client.jobs`` and ``client.files``."""

from .files import Files
from .jobs import AzureJobs, Jobs

__all__ = ["AzureJobs", "Files", "Jobs"]
