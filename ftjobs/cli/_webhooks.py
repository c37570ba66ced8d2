"""``ftjobs webhooks listen``: receive webhooks and print the verified events."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from .. import ConfigurationError
from .._signing import resolve_secret
from ..webhooks import WebhookEvent, Webhooks
from . import _output as output
from ._app import CLIError, Commands, wants_json

__all__ = ["register"]


def register(commands: Commands) -> None:
    """Add ``ftjobs webhooks listen``."""
    webhooks = commands.group("webhooks", "receive OpenAI's (or the emulator's) webhooks")
    listen = webhooks.command(
        "listen", webhooks_listen, "listen for webhooks and print every verified event"
    )
    listen.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on")
    listen.add_argument("--path", default="/webhooks", help="URL path (default /webhooks)")
    listen.add_argument(
        "--secret", default=None, help="the whsec_... secret (default: $OPENAI_WEBHOOK_SECRET)"
    )


def _line(event: WebhookEvent) -> str:
    about = event.job_id or event.data.id or "-"
    return f"{output.when(event.created_at)}  {event.type}  {about}  ({event.id})"


async def webhooks_listen(args: argparse.Namespace) -> int:
    """``ftjobs webhooks listen --port P --secret S``: until Ctrl-C. A delivery that fails
    verification is answered 400 and reported on standard error, never printed as an event."""
    secret = resolve_secret(args.secret, option="--secret whsec_...")
    try:
        receiver = Webhooks(secret)
    except ConfigurationError:
        raise CLIError("--secret is not a webhook secret: expected whsec_ and base64") from None
    console = output.stdout()
    if wants_json(args):
        receiver.subscribe(output.print_json)
    else:
        receiver.subscribe(lambda event: output.say(console, _line(event)))
    app = web.Application()
    app.router.add_post(args.path, receiver.handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, args.host, args.port).start()
        except OSError as exc:
            raise CLIError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
        url = f"http://{args.host}:{runner.addresses[0][1]}{args.path}"
        output.say(output.stderr(), f"listening for webhooks at {url} (Ctrl-C stops)")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0
