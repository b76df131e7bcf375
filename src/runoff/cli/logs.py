"""Logs: open a log session and print its Server-Sent Events stream."""

from __future__ import annotations

from runoff.cli.options import whole_number
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-n",
        "--num",
        type=whole_number(0),
        default=100,
        metavar="N",
        help="how many past lines (default: 100)",
    )
    parser.add_argument("-t", "--tail", action="store_true", help="keep printing new lines")
    parser.add_argument("-d", "--dyno", action="append", metavar="NAME", help="only this dyno")
    parser.add_argument(
        "-p", "--process-type", action="append", metavar="TYPE", help="only this process type"
    )
    parser.add_argument(
        "-s", "--source", action="append", metavar="SOURCE", help="only this source: app or heroku"
    )
    parser.add_argument("--json", action="store_true", help="print each line as a JSON object")


def register(commands: CommandSet) -> None:
    commands.add(
        "logs",
        show_logs,
        "print an app's recent logs, or follow them",
        arguments=_arguments,
        description=(
            "Print an app's most recent log lines; with --tail keep printing new ones\n"
            "until Ctrl-C. -d, -p and -s may be repeated."
        ),
        app=True,
        examples=[
            "runoff logs -a myapp",
            "runoff logs -a myapp -d run.2 --tail",
            "runoff logs -a myapp -p web -s app -n 500",
        ],
    )


def session_request(args: argparse.Namespace) -> dict[str, object]:
    """The log-session body: a repeated filter is sent as a list, a single one as a string."""
    payload: dict[str, object] = {"lines": args.num, "tail": args.tail}
    for field, values in (
        ("dyno", args.dyno),
        ("type", args.process_type),
        ("source", args.source),
    ):
        if values:
            payload[field] = values[0] if len(values) == 1 else values
    if args.json:
        payload["format"] = "json"
    return payload


def show_logs(args: argparse.Namespace, ctx: Context) -> int:
    client = ctx.client()
    session = client.post("apps", ctx.app(), "log-sessions", payload=session_request(args))
    url = session.get("logplex_url") if isinstance(session, dict) else None
    if not isinstance(url, str) or not url:
        raise RunoffError("the server's log session has no logplex_url")
    stdout = ctx.system.stdout
    try:
        for event in client.events(url, follow=args.tail, sleep=ctx.system.sleep):
            stdout.write(event.data + "\n")
            stdout.flush()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a --tail ends
    return 0
