"""The emulator's HTTP error type and the spec's error body ``{"error": {...}}``."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body"]


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """Return the spec's ``ErrorResponse`` body."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class ApiError(Exception):
    """A request the emulator answers with an error status and the spec's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return error_body(self.message, type=self.type, param=self.param, code=self.code)

    @classmethod
    def invalid(
        cls, message: str, *, param: str | None = None, code: str | None = None
    ) -> ApiError:
        """A 400 ``invalid_request_error``."""
        return cls(400, message, param=param, code=code)

    @classmethod
    def not_found(cls, message: str, *, param: str | None = None) -> ApiError:
        """A 404 ``invalid_request_error`` with code ``not_found``."""
        return cls(404, message, param=param, code="not_found")
