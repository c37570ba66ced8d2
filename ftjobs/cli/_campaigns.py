"""``ftjobs campaign ...``: run a plan of many jobs under the provider's limits (resumable by
running it again), and see, report on or cancel a campaign by its name.

The truth is on the server: every member's job carries the campaign's name in its metadata, so
``status``, ``report`` and ``cancel`` need only the name, and ``run`` of the same plan resumes
it from any machine (``--plan`` gives ``status`` and ``report`` the members not created yet,
and their parameters).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console

from .. import FineTuningJob, PollPolicy
from ..campaigns import (
    ATTEMPT_KEY,
    BEST_METRICS,
    CAMPAIGN_KEY,
    MEMBER_KEY,
    Campaign,
    CampaignProgress,
    CampaignReport,
    CampaignRow,
)
from . import _output as output
from ._app import (
    EXIT_JOB_FAILED,
    CLIError,
    Commands,
    Interrupted,
    command_line,
    connect,
    join_commands,
    wants_json,
)
from ._campaign_view import CampaignView, params_text
from ._chart import text_chart

__all__ = ["register", "resume_words"]

_DEFAULTS = {"max_active": 3, "leave_free": 0, "retry_failed": 0}
_DEFAULT_INTERVAL = 2.0
# The loss chart of one member in `report --plot`: at most this wide, this tall.
_PLOT_WIDTH = 80
_PLOT_HEIGHT = 8
# A table piped elsewhere is not cut.
_UNCUT = 10_000


def register(commands: Commands) -> None:
    """Add ``ftjobs campaign ...``."""
    campaign = commands.group("campaign", "run many jobs under the provider's limits, resumable")
    run = campaign.command(
        "run",
        campaign_run,
        "run (or resume) the campaign a TOML plan describes, to its end",
    )
    run.add_argument("plan", help="the plan: name, base, and grid or [[members]] (TOML)")
    run.add_argument(
        "--max-active",
        type=int,
        default=_DEFAULTS["max_active"],
        metavar="N",
        help="the most of the campaign's jobs not yet ended at once",
    )
    run.add_argument(
        "--leave-free",
        type=int,
        default=_DEFAULTS["leave_free"],
        metavar="K",
        help="after the first batch, keep K of the concurrent slots seen free for others",
    )
    run.add_argument(
        "--retry-failed",
        type=int,
        default=_DEFAULTS["retry_failed"],
        metavar="N",
        help="re-create a member whose job failed server-side up to N times (never a data error)",
    )
    run.add_argument(
        "--stop-on-failure",
        action="store_true",
        help="submit nothing more once a member did not succeed",
    )
    run.add_argument(
        "--state",
        metavar="FILE",
        help="a local JSON file of the jobs created here (saves requests on resume)",
    )
    run.add_argument(
        "--interval",
        type=float,
        default=_DEFAULT_INTERVAL,
        metavar="SECONDS",
        help="first poll interval of the members' jobs",
    )
    status = campaign.command("status", campaign_status, "the members of a campaign and their jobs")
    status.add_argument("name")
    _plan_option(status)
    report = campaign.command(
        "report", campaign_report, "a campaign's results side by side, and the best member"
    )
    report.add_argument("name")
    _plan_option(report)
    report.add_argument(
        "--csv", metavar="FILE", help="write one row per member as CSV (- for stdout)"
    )
    report.add_argument(
        "--plot", action="store_true", help="draw each succeeded member's loss curve"
    )
    report.add_argument(
        "--best",
        choices=BEST_METRICS,
        default="valid_loss",
        help="the metric the best member is chosen by (lowest)",
    )
    cancel = campaign.command(
        "cancel", campaign_cancel, "cancel every job of a campaign that has not ended"
    )
    cancel.add_argument("name")


def _plan_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan",
        metavar="FILE",
        help="the campaign's plan: lists the members not created yet, with their parameters",
    )


def _load(path: str) -> Campaign:
    """The plan file's campaign; a file id in the plan that is really a local file is refused
    (the plan holds the ids of uploaded files)."""
    campaign = Campaign.from_toml(path)
    for spec in campaign.members:
        for key in ("training_file", "validation_file"):
            value = spec.create_kwargs.get(key)
            if isinstance(value, str) and (Path(value).is_file() or value.endswith(".jsonl")):
                raise CLIError(
                    f"{path}: {key} {value!r} is a file name: upload it first (ftjobs files "
                    f"upload {shlex.quote(value)}) and put the file id it prints in the plan"
                )
    return campaign


def _named(path: str | None, name: str) -> Campaign | None:
    """``--plan``'s campaign, which must be the one named."""
    if path is None:
        return None
    campaign = _load(path)
    if campaign.name != name:
        raise CLIError(f"--plan {path} is campaign {campaign.name!r}, not {name!r}")
    return campaign


# -- run ------------------------------------------------------------------------------------------


def resume_words(args: argparse.Namespace) -> list[str]:
    """The words of the ``campaign run`` that resumes this one (its options as given)."""
    words = ["campaign", "run", args.plan]
    for name, default in _DEFAULTS.items():
        value = getattr(args, name)
        if value != default:
            words += [f"--{name.replace('_', '-')}", str(value)]
    if args.stop_on_failure:
        words.append("--stop-on-failure")
    if args.state is not None:
        words += ["--state", args.state]
    if args.interval != _DEFAULT_INTERVAL:
        words += ["--interval", f"{args.interval:g}"]
    return words


async def campaign_run(args: argparse.Namespace) -> int:
    """``ftjobs campaign run PLAN``: run the plan's members to their end; exit 0 when every
    one succeeded, 4 when one did not, 130 on Ctrl-C (the created jobs go on)."""
    campaign = _load(args.plan)
    console = output.stdout()
    quiet = wants_json(args)
    poll = PollPolicy(initial_interval=args.interval, max_interval=max(args.interval, 30.0))
    view = CampaignView(console, campaign, quiet=quiet)
    if not quiet:
        output.say(console, f"campaign {campaign.name}: {len(campaign)} members")
    async with connect(args) as client:
        run = client.jobs.run_campaign(
            campaign,
            max_active=args.max_active,
            leave_free=args.leave_free,
            retry_failed=args.retry_failed,
            stop_on_failure=args.stop_on_failure,
            state=args.state,
            on_update=view.update,
            poll=poll,
        )
        view.follow(lambda: run.progress)
        ticker = asyncio.create_task(_tick(view))
        try:
            with view:
                # Awaiting the run directly: a Ctrl-C cancels it where it is (nothing more is
                # submitted, the jobs already created go on on the server).
                report = await run.report()
        except asyncio.CancelledError:
            # The run's own count of active jobs is gone with it: the view's is what was left.
            progress = attrs.evolve(run.progress, active=view.active)
            raise Interrupted(
                _stopped(campaign.name, progress), _next_steps(args, campaign.name)
            ) from None
        finally:
            ticker.cancel()
    if quiet:
        output.print_json(report)
    else:
        _show_report(console, report, "valid_loss")
        output.say(console, _verdict(report))
    return 0 if len(report.succeeded) == len(report.rows) else EXIT_JOB_FAILED


async def _tick(view: CampaignView) -> None:
    # The next slot counts down, and members' ages grow, between updates.
    while True:
        await asyncio.sleep(1.0)
        view.redraw()


def _stopped(name: str, progress: CampaignProgress) -> str:
    """What Ctrl-C left: the jobs that go on, and what was not submitted."""
    running = (
        f"{progress.active} job(s) still running on the server (they go on)"
        if progress.active
        else "no job running"
    )
    return (
        f"stopped submitting: campaign {name} has {running}, {progress.done} member(s) done, "
        f"{progress.pending} not submitted."
    )


def _next_steps(args: argparse.Namespace, name: str) -> str:
    return join_commands(
        [
            ("resume the campaign", command_line(args, *resume_words(args))),
            ("see its jobs", command_line(args, "campaign", "status", name)),
            ("cancel its jobs", command_line(args, "campaign", "cancel", name)),
        ]
    )


def _verdict(report: CampaignReport) -> str:
    succeeded = len(report.succeeded)
    total = len(report.rows)
    if succeeded == total:
        return f"campaign {report.name}: all {total} members succeeded."
    return f"campaign {report.name}: {succeeded} of {total} members succeeded."


# -- status -----------------------------------------------------------------------------------


def _member_of(job: FineTuningJob, name: str) -> tuple[int, int] | None:
    """(index, attempt) of a job of campaign ``name``, from its metadata."""
    metadata = job.metadata or {}
    if metadata.get(CAMPAIGN_KEY) != name:
        return None
    try:
        return int(metadata.get(MEMBER_KEY, "")), int(metadata.get(ATTEMPT_KEY, "0"))
    except ValueError:
        return None


async def _members(args: argparse.Namespace, name: str) -> dict[int, tuple[FineTuningJob, int]]:
    """Each member's last job and its number of attempts, as the server lists them."""
    found: dict[int, dict[int, FineTuningJob]] = {}
    async with connect(args) as client:
        async for job in client.jobs.find(metadata={CAMPAIGN_KEY: name}):
            member = _member_of(job, name)
            if member is not None:
                found.setdefault(member[0], {})[member[1]] = job
    return {index: (jobs[max(jobs)], len(jobs)) for index, jobs in found.items()}


_STATUS_COLUMNS = ("member", "status", "job", "attempts", "created", "finished", "params")


async def campaign_status(args: argparse.Namespace) -> int:
    """``ftjobs campaign status NAME [--plan FILE]``: every member's last job (and, with the
    plan, the members not created yet)."""
    campaign = _named(args.plan, args.name)
    members = await _members(args, args.name)
    indexes = sorted(members) if campaign is None else [spec.index for spec in campaign.members]
    if not members and campaign is None:
        raise CLIError(f"no job of campaign {args.name!r} found")
    if wants_json(args):
        _status_json(args.name, indexes, members, campaign)
        return 0
    rows: list[list[Any]] = []
    for index in indexes:
        params = params_text(campaign.members[index].params) if campaign is not None else None
        if index not in members:
            rows.append([index, "pending", None, 0, None, None, params])
            continue
        job, attempts = members[index]
        rows.append(
            [
                index,
                str(job.status),
                job.id,
                attempts,
                output.ago(job.created_at),
                output.ago(job.finished_at),
                params,
            ]
        )
    console = output.stdout()
    output.say(console, _status_summary(args.name, indexes, members))
    headers = _STATUS_COLUMNS if campaign is not None else _STATUS_COLUMNS[:-1]
    output.table(
        console,
        headers,
        [row[: len(headers)] for row in rows],
        keep=("status", "created", "finished"),
        gives_way=("params",),
    )
    return 0


def _status_summary(
    name: str, indexes: Sequence[int], members: dict[int, tuple[FineTuningJob, int]]
) -> str:
    counts: dict[str, int] = {}
    for job, _ in members.values():
        kind = str(job.status) if job.is_terminal else "active"
        counts[kind] = counts.get(kind, 0) + 1
    pending = sum(1 for index in indexes if index not in members)
    if pending:
        counts["not created"] = pending
    parts = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    return f"campaign {name}: {len(indexes)} members: {parts}"


def _status_json(
    name: str,
    indexes: Sequence[int],
    members: dict[int, tuple[FineTuningJob, int]],
    campaign: Campaign | None,
) -> None:
    data = []
    for index in indexes:
        job, attempts = members.get(index, (None, 0))
        data.append(
            {
                "index": index,
                "params": dict(campaign.members[index].params) if campaign else None,
                "status": str(job.status) if job is not None else "pending",
                "attempts": attempts,
                "job": job,
            }
        )
    output.print_json({"name": name, "members": data})


# -- report -----------------------------------------------------------------------------------


async def campaign_report(args: argparse.Namespace) -> int:
    """``ftjobs campaign report NAME [--plan FILE] [--csv FILE] [--plot]``."""
    campaign = _named(args.plan, args.name)
    console = output.stdout()
    async with connect(args) as client:
        report = await client.jobs.campaign_report(args.name, campaign)
        if not report.rows:
            raise CLIError(f"no job of campaign {args.name!r} found")
        curves = {}
        if args.plot:
            for row in report.succeeded:
                assert row.job_id is not None
                curves[row.index] = await client.jobs.metrics(row.job_id)
    if args.csv is not None:
        report.to_csv(sys.stdout if args.csv == "-" else args.csv)
        if args.csv == "-":
            return 0
        output.say(output.stderr(), f"wrote {len(report.rows)} rows to {args.csv}")
    if wants_json(args):
        output.print_json(report)
        return 0
    _show_report(console, report, args.best)
    for row in report.succeeded:
        if row.index in curves:
            _plot(console, row, curves[row.index])
    return 0


def _show_report(console: Console, report: CampaignReport, metric: str) -> None:
    width = console.width if console.is_terminal else _UNCUT
    console.file.write(report.table(width=max(width, 20)) + "\n")
    best = report.best(metric)
    if best is None:
        # Say which ranking would work (jobs trained without a validation file report no
        # valid_loss), rather than leave the user to guess.
        other = next((m for m in BEST_METRICS if m != metric and report.best(m)), None)
        hint = f"; try --best {other}" if other else ""
        output.say(console, f"best by {metric}: none (no succeeded member reports it{hint})")
        return
    value = best.metric(metric)
    checkpoint = (
        f", best checkpoint at step {best.best_checkpoint_step}"
        if best.best_checkpoint_step is not None
        else ""
    )
    output.say(
        console,
        f"best by {metric}: member {best.index} ({params_text(best.params) or 'no params'}): "
        f"{metric} {output.cell(value)}, job {best.job_id}, {best.fine_tuned_model}{checkpoint}",
    )


def _plot(console: Console, row: CampaignRow, curve: Sequence[Any]) -> None:
    width = min(console.width, _PLOT_WIDTH) if console.is_terminal else _PLOT_WIDTH
    title = f"member {row.index} ({params_text(row.params) or row.job_id}): loss"
    lines = ["", title[: width - 1] + "…" if len(title) > width else title]
    lines += text_chart(curve, width, height=_PLOT_HEIGHT)
    console.file.write("\n".join(lines) + "\n")


# -- cancel -----------------------------------------------------------------------------------


async def campaign_cancel(args: argparse.Namespace) -> int:
    """``ftjobs campaign cancel NAME``: cancel the campaign's jobs that have not ended."""
    async with connect(args) as client:
        cancelled = await client.jobs.cancel_campaign(args.name)
    if wants_json(args):
        output.print_json(cancelled)
        return 0
    console = output.stdout()
    if not cancelled:
        output.say(console, f"campaign {args.name}: no job to cancel (none is active)")
        return 0
    rows = [[_member_of(job, args.name), str(job.status), job.id, job.model] for job in cancelled]
    output.table(
        console,
        ("member", "status", "job", "model"),
        [[m[0] if m else None, *rest] for m, *rest in rows],
        keep=("status",),
        gives_way=("model",),
    )
    output.say(
        console,
        f"campaign {args.name}: cancelled {len(cancelled)} job(s). A `campaign run` of it "
        "still going elsewhere keeps submitting: stop it there (Ctrl-C).",
    )
    return 0
