"""Running the server itself: ``runoff server``, ``runoff migrate``, and ``runoff status``.

The server and its dependencies are imported only when one of these commands runs.
"""

from __future__ import annotations

from runoff.cli.options import whole_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", metavar="HOST", help="address to listen on")
    parser.add_argument("--port", type=whole_number(1), metavar="PORT", help="port to listen on")


def register(commands: CommandSet) -> None:
    commands.add(
        "server",
        run_server,
        "run the runoff API server",
        arguments=_server_arguments,
        description="Run the runoff API server in the foreground (settings: RUNOFF_* variables).",
        examples=["runoff server --host 0.0.0.0 --port 5000"],
    )
    commands.add(
        "migrate",
        run_migrations,
        "bring the server's database schema up to date",
        examples=["runoff migrate"],
    )
    commands.add(
        "status",
        show_status,
        "show whether the server is up and how it runs dynos",
        json=True,
        description="Show whether the server answers, its executor, and whether dynos run "
        "in a sandbox (isolation: sandbox) or as the server's user (isolation: none).",
        examples=["runoff status"],
    )


def run_server(args: argparse.Namespace, ctx: Context) -> int:
    from runoff.server import main as server_main

    return server_main(host=args.host, port=args.port)


def run_migrations(args: argparse.Namespace, ctx: Context) -> int:
    from runoff.server import migrate_main

    return migrate_main()


def show_status(args: argparse.Namespace, ctx: Context) -> int:
    health = ctx.client().get("healthz")
    if args.json:
        ctx.json(health)
        return 0
    isolation = str(health.get("isolation", "unknown"))
    ctx.out(
        f"=== {ctx.api_url()}",
        f"status:    {health.get('status')}",
        f"executor:  {health.get('executor', 'unknown')}",
        f"isolation: {isolation}",
    )
    if isolation == "none":
        ctx.err("runoff: warning: dynos run without a sandbox (RUNOFF_ISOLATION=none)")
    return 0
