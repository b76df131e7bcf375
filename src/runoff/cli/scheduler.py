"""The scheduler: jobs that run a command (or restart the app) at set times."""

from __future__ import annotations

import argparse

from runoff.cli import render
from runoff.cli.context import UsageError
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet

SCHEDULES = (
    "SCHEDULE is `every 10 minutes`, `every hour at :MM`, `every day at HH:MM` (UTC)\n"
    "or a 5-field cron expression such as `30 2 * * 1-5` (UTC)."
)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--schedule", required=True, metavar="SCHEDULE", help="when to run")
    parser.add_argument("--size", metavar="SIZE", help="dyno size (default: Standard-1X)")
    parser.add_argument(
        "--overlap",
        choices=("allow", "forbid", "replace"),
        help="if the previous run still runs: start anyway (default), skip, or stop it first",
    )
    parser.add_argument(
        "--restart", action="store_true", help="restart the app's dynos instead of a command"
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="COMMAND", help="the command and its arguments"
    )


def _job_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", help="the job's number (see `runoff scheduler`)")


def register(commands: CommandSet) -> None:
    commands.add(
        "scheduler",
        list_jobs,
        "list an app's scheduled jobs",
        app=True,
        json=True,
        examples=["runoff scheduler -a myapp"],
    )
    commands.add(
        "scheduler:add",
        add_job,
        "schedule a command (or a restart)",
        arguments=_add_arguments,
        description=(
            "Run COMMAND on SCHEDULE in a one-off dyno of type scheduler, whose time-to-live\n"
            "is the job's interval. " + SCHEDULES + "\n"
            "With --restart the job restarts the app's dynos instead (this also resets\n"
            "their daily cycling)."
        ),
        app=True,
        json=True,
        examples=[
            "runoff scheduler:add -a myapp -s 'every 10 minutes' -- python scrape.py",
            "runoff scheduler:add -a myapp -s '30 2 * * 1-5' --overlap forbid -- ./nightly",
            "runoff scheduler:add -a myapp -s 'every day at 03:00' --restart",
        ],
    )
    commands.add(
        "scheduler:remove",
        remove_job,
        "remove a scheduled job",
        arguments=_job_argument,
        app=True,
        examples=["runoff scheduler:remove 2 -a myapp"],
    )
    commands.add(
        "scheduler:run",
        run_job,
        "run a scheduled job now",
        arguments=_job_argument,
        app=True,
        json=True,
        examples=["runoff scheduler:run 1 -a myapp"],
    )


def _last_run(job: Any, ctx: Context) -> str:
    run = job.get("last_run")
    if not isinstance(run, dict):
        return ""
    dyno = run.get("dyno")
    name = f" {dyno.get('name')}" if isinstance(dyno, dict) else ""
    then = render.parse_time(run.get("slot_at"))
    return f"{run.get('status')}{name}" + (f" ({render.age(then, ctx.now())})" if then else "")


def list_jobs(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    jobs = ctx.client().get("apps", app, "scheduler", "jobs")
    if args.json:
        ctx.json(jobs)
        return 0
    if not jobs:
        ctx.out(f"No scheduled jobs on {app}: add one with `runoff scheduler:add`.")
        return 0
    rows = [["#", "Schedule", "Command", "Size", "Overlap", "Next run", "Last run"]]
    for job in jobs:
        following = render.parse_time(job.get("next_run_at"))
        rows.append(
            [
                str(job.get("number")),
                str(job.get("schedule")),
                "(restart)" if job.get("kind") == "restart" else str(job.get("command")),
                str(job.get("size")),
                str(job.get("overlap")),
                render.stamp(following, ctx.now()) if following else "",
                _last_run(job, ctx),
            ]
        )
    ctx.out(f"=== {app} Scheduled Jobs", *render.table(rows))
    return 0


def add_job(args: argparse.Namespace, ctx: Context) -> int:
    from runoff.cli.dynos import command_text

    payload: dict[str, object] = {"schedule": args.schedule}
    if args.restart:
        if args.command and args.command != ["--"]:
            raise UsageError("--restart jobs take no command")
        payload["kind"] = "restart"
    else:
        payload["command"] = command_text(args.command)
    for field, value in (("size", args.size), ("overlap", args.overlap)):
        if value is not None:
            payload[field] = value
    app = ctx.app()
    job = ctx.client().post("apps", app, "scheduler", "jobs", payload=payload)
    if args.json:
        ctx.json(job)
        return 0
    what = "restart the dynos" if job.get("kind") == "restart" else f"`{job.get('command')}`"
    following = render.parse_time(job.get("next_run_at"))
    ctx.out(
        f"Adding job {job.get('number')} to {app}... done: {what} {job.get('schedule')}",
        f"Next run: {render.stamp(following, ctx.now()) if following else '?'}",
    )
    return 0


def remove_job(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    ctx.client().delete("apps", app, "scheduler", "jobs", args.job)
    ctx.out(f"Removing job {args.job} from {app}... done")
    return 0


def run_job(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    run = ctx.client().post("apps", app, "scheduler", "jobs", args.job, "actions", "run")
    if args.json:
        ctx.json(run)
        return 0
    status = run.get("status")
    if status in ("failed", "skipped"):
        raise RunoffError(f"job {args.job} was {status}: {run.get('detail')}")
    dyno = run.get("dyno")
    if isinstance(dyno, dict):
        name = dyno.get("name")
        ctx.out(
            f"Running job {args.job} on {app}... up, {name}",
            f"Use 'runoff logs -a {app} -d {name}' to view the output.",
        )
    else:
        ctx.out(f"Running job {args.job} on {app}... {status}")
    return 0
