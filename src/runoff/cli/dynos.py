"""Dynos: start a detached one-off process, list, stop and restart dynos."""

from __future__ import annotations

import argparse
import re
import shlex

from runoff.cli import render, runtime
from runoff.cli.context import UsageError
from runoff.cli.options import whole_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", metavar="SIZE", help="dyno size (default: the server's)")
    parser.add_argument("--type", metavar="TYPE", help="process type to record (default: run)")
    parser.add_argument(
        "--ttl", type=whole_number(1), metavar="SECONDS", help="stop the dyno after this long"
    )
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="'A=1;B=2'",
        help="extra environment variables, separated by ';' (repeatable)",
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="COMMAND", help="the command and its arguments"
    )


def _attached_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-tty", action="store_true", help="no terminal: plain pipes, binary-safe (scripts)"
    )
    parser.add_argument(
        "--no-exit-code",
        action="store_true",
        help="exit 0 whatever the dyno's exit status (default: exit with it)",
    )
    _run_arguments(parser)


def _restart_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("dyno", nargs="?", metavar="DYNO", help="one dyno, e.g. web.1")
    which.add_argument("-p", "--process-type", metavar="TYPE", help="all dynos of this type")


def register(commands: CommandSet) -> None:
    commands.add(
        "run",
        run_attached,
        "run a one-off process attached to this terminal",
        arguments=_attached_arguments,
        description=(
            "Run COMMAND in a one-off dyno attached to this terminal: its input, output and\n"
            "window size are yours (a pty, unless --no-tty), Ctrl-C goes to the dyno, and\n"
            "runoff exits with the dyno's exit status. Ctrl-C four times within a second\n"
            "disconnects; a disconnected dyno gets SIGHUP. Only the dyno's start and end go\n"
            "to the app's logs. The command is sent as with run:detached.\n"
            "It connects to the server's rendezvous port (TLS, 5001 by default); if that\n"
            "takes longer than $RUNOFF_RUN_TIMEOUT seconds (default 20) it prints\n"
            "'Timeout awaiting process'."
        ),
        app=True,
        examples=[
            "runoff run -a myapp bash",
            "runoff run -a myapp -- python manage.py shell",
            "echo 'puts 1' | runoff run -a myapp --no-tty ruby",
        ],
    )
    commands.add(
        "run:detached",
        run_detached,
        "run a one-off process in the background",
        arguments=_run_arguments,
        description=(
            "Run COMMAND in a one-off dyno; its output goes to the app's logs.\n"
            "Put the command after -- when it has options of its own. A single argument is\n"
            "sent as is, so a quoted 'cmd1 && cmd2' runs through the dyno's shell; several\n"
            "arguments are joined with shell quoting."
        ),
        app=True,
        examples=[
            "runoff run:detached -a myapp -- python manage.py migrate",
            "runoff run:detached -a myapp --size standard-2X --ttl 600 --env 'A=1;B=2' -- ./job",
        ],
    )
    commands.add(
        "ps",
        list_dynos,
        "list an app's dynos",
        arguments=lambda parser: parser.add_argument(
            "types", nargs="*", metavar="TYPE", help="show only these process types"
        ),
        description="List an app's dynos: one-off processes first, then the formation by type.",
        app=True,
        json=True,
        examples=["runoff ps -a myapp", "runoff ps run -a myapp"],
    )
    commands.add(
        "ps:stop",
        stop_dyno,
        "stop a dyno",
        arguments=lambda parser: parser.add_argument(
            "dyno", metavar="DYNO", help="dyno name, e.g. run.2"
        ),
        app=True,
        examples=["runoff ps:stop run.2 -a myapp"],
    )
    commands.add(
        "ps:restart",
        restart_dynos,
        "restart one dyno, the dynos of a type, or all",
        arguments=_restart_arguments,
        app=True,
        examples=[
            "runoff ps:restart -a myapp",
            "runoff ps:restart web.1 -a myapp",
            "runoff ps:restart -p worker -a myapp",
        ],
    )
    commands.add(
        "ps:metrics",
        ps_metrics,
        "show a dyno's load and memory samples",
        arguments=lambda parser: parser.add_argument(
            "dyno", metavar="DYNO", help="dyno name (its latest run) or id"
        ),
        description=(
            "Show the runtime metrics sampled from a dyno (about every 20 s): load averages\n"
            "and memory, oldest first, with its memory quota and how it is enforced."
        ),
        app=True,
        json=True,
        examples=["runoff ps:metrics run.1 -a myapp", "runoff ps:metrics run.1 -a myapp --json"],
    )
    commands.add(
        "ps:scale",
        scale_dynos,
        "scale the formation: how many dynos of each process type, and their size",
        arguments=lambda parser: parser.add_argument(
            "changes", nargs="*", metavar="TYPE=N[:SIZE]", help="e.g. web=2, worker+1, web=1:2X"
        ),
        description=(
            "Set how many dynos of each Procfile process type run (TYPE=N), or change the\n"
            "count (TYPE+N, TYPE-N), optionally with a size (TYPE=N:SIZE). Without changes,\n"
            "print the formation in the same form."
        ),
        app=True,
        json=True,
        examples=[
            "runoff ps:scale web=2 worker=1 -a myapp",
            "runoff ps:scale worker+1:Standard-2X -a myapp",
            "runoff ps:scale -a myapp",
        ],
    )


def parse_env(values: list[str]) -> dict[str, str]:
    """``["A=1;B=2", "C=3"]`` → ``{"A": "1", "B": "2", "C": "3"}``; empty items are skipped."""
    env = {}
    for value in values:
        for item in value.split(";"):
            if not item.strip():
                continue
            key, equals, setting = item.partition("=")
            if not equals or not key.strip():
                raise UsageError(f"--env item {item!r} is invalid: expected KEY=VALUE")
            env[key.strip()] = setting
    return env


def command_text(
    words: list[str], usage: str = "runoff run:detached [options] -- COMMAND..."
) -> str:
    """A single argument as is; several joined with shell quoting (``shlex.join``)."""
    if words[:1] == ["--"]:
        words = words[1:]
    if not words:
        raise UsageError(f"no command given: {usage}")
    return words[0] if len(words) == 1 else shlex.join(words)


def run_attached(args: argparse.Namespace, ctx: Context) -> int:
    from runoff.cli import run  # the TLS client and terminal handling load only for ``run``

    return run.run(args, ctx)


def run_detached(args: argparse.Namespace, ctx: Context) -> int:
    command = command_text(args.command)
    payload: dict[str, object] = {"command": command, "attach": False, "env": parse_env(args.env)}
    for field, value in (("size", args.size), ("type", args.type), ("time_to_live", args.ttl)):
        if value is not None:
            payload[field] = value
    app = ctx.app()
    dyno = ctx.client().post("apps", app, "dynos", payload=payload)
    name = dyno.get("name")
    ctx.out(
        f"Running {command} on {app}... {dyno.get('state') or 'up'}, {name}",
        f"Use 'runoff logs -a {app} -d {name}' to view the output.",
    )
    return 0


def list_dynos(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    dynos = ctx.client().get("apps", app, "dynos")
    if args.types:
        dynos = [dyno for dyno in dynos if dyno.get("type") in args.types]
    if args.json:
        ctx.json(dynos)
    elif not dynos:
        ctx.out(f"No dynos on {app}")
    else:
        ctx.out(*render.ps_lines(dynos, ctx.now()), *runtime.limits_note(dynos))
    return 0


def stop_dyno(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().post("apps", ctx.app(), "dynos", args.dyno, "actions", "stop")
    ctx.out(f"Stopping {args.dyno} process... done")
    return 0


def restart_dynos(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    client = ctx.client()
    if args.dyno:
        client.delete("apps", app, "dynos", args.dyno)
        ctx.out(f"Restarting {args.dyno} dyno on {app}... done")
    elif args.process_type:
        client.delete("apps", app, "formations", args.process_type)
        ctx.out(f"Restarting {args.process_type} dynos on {app}... done")
    else:
        client.delete("apps", app, "dynos")
        ctx.out(f"Restarting dynos on {app}... done")
    return 0


def ps_metrics(args: argparse.Namespace, ctx: Context) -> int:
    data = ctx.client().get("apps", ctx.app(), "dynos", args.dyno, "metrics")
    if args.json:
        ctx.json(data)
    else:
        ctx.out(*runtime.metrics_lines(data, ctx.now()))
    return 0


_CHANGE = re.compile(r"^([\w-]+)([=+-])(\d+)(?::([\w-]+))?$")


def parse_changes(words: list[str]) -> list[dict[str, object]]:
    """``["web=2", "worker+1:2X"]`` → the ``updates`` of a batch formation update."""
    updates: list[dict[str, object]] = []
    for word in words:
        match = _CHANGE.match(word)
        if match is None:
            raise UsageError(f"{word!r} is not a change: use TYPE=N, TYPE+N or TYPE-N, then :SIZE")
        kind, op, count, size = match.groups()
        update: dict[str, object] = {"type": kind, "quantity": count if op == "=" else op + count}
        if size:
            update["size"] = size
        updates.append(update)
    return updates


def scale_dynos(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    client = ctx.client()
    if not args.changes:
        formation = client.get("apps", app, "formation")
        if args.json:
            ctx.json(formation)
        elif not formation:
            ctx.out(f"No process types on {app}: deploy a Procfile to add some.")
        else:
            ctx.out(" ".join(sorted(f"{f['type']}={f['quantity']}:{f['size']}" for f in formation)))
        return 0
    updates = parse_changes(args.changes)
    formation = client.patch("apps", app, "formation", payload={"updates": updates})
    if args.json:
        ctx.json(formation)
        return 0
    changed = {str(u["type"]) for u in updates}
    now = ", ".join(
        f"{f['type']} at {f['quantity']}:{f['size']}" for f in formation if f["type"] in changed
    )
    ctx.out(f"Scaling dynos on {app}... done, now running {now}")
    return 0
