"""``ftjobs graders ...``: check a grader (a JSON file) before a reinforcement job uses it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import _output as output
from ._app import CLIError, Commands, connect, local_file, wants_json

__all__ = ["read_grader", "register"]


def register(commands: Commands) -> None:
    """Add ``ftjobs graders ...``."""
    graders = commands.group("graders", "graders of reinforcement fine-tuning")
    validate = graders.command("validate", graders_validate, "have the API check a grader")
    validate.add_argument("grader", help="a JSON file holding the grader")
    run = graders.command("run", graders_run, "score a sample with a grader")
    run.add_argument("grader", help="a JSON file holding the grader")
    run.add_argument("--sample", required=True, help="the model output to grade")
    run.add_argument("--item", type=_json_object, help="the dataset item, as a JSON object")


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('expected a JSON object such as \'{"answer": "4"}\'')
    return value


def read_grader(path: str, option: str = "grader") -> dict[str, Any]:
    """The grader a JSON file holds (a mistake is a `CLIError` naming the file)."""
    found = local_file(path, option)
    if found is None:
        raise CLIError(f"no such file: {path}")
    try:
        value = json.loads(found.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CLIError(f"{path} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CLIError(f"{path} must hold one grader (a JSON object with a 'type')")
    return value


async def graders_validate(args: argparse.Namespace) -> int:
    """``ftjobs graders validate grader.json``."""
    grader = read_grader(args.grader)
    async with connect(args) as client:
        checked = await client.graders.validate(grader=grader)
    if wants_json(args):
        output.print_json(checked)
    else:
        output.say(output.stdout(), f"valid: {grader.get('name')} ({grader.get('type')})")
    return 0


async def graders_run(args: argparse.Namespace) -> int:
    """``ftjobs graders run grader.json --sample TEXT [--item JSON]``."""
    grader = read_grader(args.grader)
    async with connect(args) as client:
        result = await client.graders.run(grader=grader, model_sample=args.sample, item=args.item)
    if wants_json(args):
        output.print_json(result)
        return 0
    errors = [name for name, value in result.metadata.errors.items() if value is True]
    pairs: list[tuple[str, Any]] = [("reward", result.reward)]
    pairs += [(f"score {name}", score) for name, score in result.metadata.scores.items()]
    pairs.append(("errors", ", ".join(errors) or "none"))
    output.fields(output.stdout(), pairs)
    return 0
