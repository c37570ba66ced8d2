"""``client.checkpoints``: share fine-tuned checkpoints with other projects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import _validation as check
from .._models import (
    CheckpointPermission,
    CheckpointPermissionDeleted,
    FineTuningJobCheckpoint,
    Page,
)
from .._options import call_options
from .._pagination import AsyncPaginator
from .._transport import Transport
from .._types import NOT_GIVEN, NotGiven
from ..providers import OPENAI, Dialect
from ._base import Resource, refusing

__all__ = ["CheckpointPermissions", "Checkpoints"]

_CHECKPOINTS = "/fine_tuning/checkpoints"
_ORDERS = ("ascending", "descending")
_LIST_LIMIT = 10_000


def _checkpoint_path(checkpoint: str | FineTuningJobCheckpoint) -> str:
    if isinstance(checkpoint, FineTuningJobCheckpoint):
        checkpoint = checkpoint.fine_tuned_model_checkpoint
    return f"{_CHECKPOINTS}/{check.path_id('checkpoint', checkpoint)}/permissions"


def _project_ids(value: object) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError("project_ids must be a sequence of project ids, such as ['proj_abc']")
    if not value:
        raise ValueError("project_ids must name at least one project")
    return [check.require_str(f"project_ids[{i}]", item) for i, item in enumerate(value)]


class CheckpointPermissions(Resource):
    """Who may use a fine-tuned checkpoint (``client.checkpoints.permissions``).

    ``checkpoint`` is the checkpoint's model name (``ft:gpt-4o-mini-...:ckpt-step-10``, its
    ``fine_tuned_model_checkpoint``) or the
    [FineTuningJobCheckpoint][ftjobs.types.FineTuningJobCheckpoint] itself. The API requires
    an admin key for these calls.
    """

    __slots__ = ()

    async def create(
        self,
        checkpoint: str | FineTuningJobCheckpoint,
        *,
        project_ids: Sequence[str],
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Page[CheckpointPermission]:
        """Share ``checkpoint`` with ``project_ids``; returns the permissions created."""
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        page_cls: type[Page[CheckpointPermission]] = Page[CheckpointPermission]
        return await self._decoded(
            page_cls,
            self._send(
                "POST",
                _checkpoint_path(checkpoint),
                options,
                body={"project_ids": _project_ids(project_ids)},
            ),
        )

    def list(
        self,
        checkpoint: str | FineTuningJobCheckpoint,
        *,
        project_id: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        order: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[CheckpointPermission]:
        """List a checkpoint's permissions (await for a page, ``async for`` for all).

        Args:
            project_id: Only the permission of this project.
            limit: Page size (server default 10).
            after: Cursor: a permission id.
            order: ``"ascending"`` or ``"descending"`` (the server's default) by creation.
        """
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = _checkpoint_path(checkpoint)
        params: list[tuple[str, str]] = []
        if project_id is not None:
            params.append(("project_id", check.require_str("project_id", project_id)))
        size = check.limit(limit, _LIST_LIMIT)
        if size is not None:
            params.append(("limit", str(size)))
        if order is not None:
            if order not in _ORDERS:
                raise ValueError(f"order must be 'ascending' or 'descending', got {order!r}")
            params.append(("order", order))
        return self._paginate(
            CheckpointPermission,
            path,
            params,
            options,
            after=check.optional_str("after", after),
        )

    async def delete(
        self,
        checkpoint: str | FineTuningJobCheckpoint,
        permission_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> CheckpointPermissionDeleted:
        """Stop sharing: delete one permission of ``checkpoint``."""
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = _checkpoint_path(checkpoint)
        return await self._decoded(
            CheckpointPermissionDeleted,
            self._send(
                "DELETE", f"{path}/{check.path_id('permission_id', permission_id)}", options
            ),
        )


class Checkpoints:
    """Fine-tuned checkpoints (``client.checkpoints``); a job's own checkpoints are listed by
    ``client.jobs.list_checkpoints``."""

    __slots__ = ("permissions",)

    def __init__(self, transport: Transport, *, dialect: Dialect = OPENAI) -> None:
        permissions = refusing(CheckpointPermissions, dialect, "checkpoints.permissions")
        self.permissions = permissions(transport, dialect=dialect)
        """Share a checkpoint with other projects: create, list, delete."""
