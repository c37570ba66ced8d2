"""Who may call: the API key, as a bearer token or an ``api-key`` header."""

from __future__ import annotations

from aiohttp import web

__all__ = ["refusal"]


def refusal(request: web.Request, api_key: str) -> str | None:
    """``None`` when ``request`` carries ``api_key``, else the 401 message (key masked)."""
    header = request.headers.get("Authorization")
    given: str | None = None
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            given = token.strip()
    if given is None:
        given = request.headers.get("api-key")
    if given == api_key:
        return None
    if not given:
        return (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or as the api-key header."
        )
    shown = given[:3] + "*" * 4 + given[-4:] if len(given) > 8 else "*" * len(given)
    return f"Incorrect API key provided: {shown}."
