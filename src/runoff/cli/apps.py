"""Apps: list, create, show, destroy, and link a directory to an app."""

from __future__ import annotations

from runoff.cli import config, render
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def register(commands: CommandSet) -> None:
    commands.add(
        "apps", list_apps, "list the apps you can access", json=True, examples=["runoff apps"]
    )
    commands.add(
        "apps:create",
        create_app,
        "create an app",
        arguments=_create_arguments,
        description="Create an app. Without NAME the server picks one.",
        json=True,
        examples=["runoff apps:create myapp", "runoff apps:create"],
    )
    commands.add(
        "apps:info",
        app_info,
        "show an app",
        app=True,
        json=True,
        examples=["runoff apps:info -a myapp"],
    )
    commands.add(
        "apps:destroy",
        destroy_app,
        "permanently destroy an app",
        arguments=lambda parser: parser.add_argument(
            "--confirm", metavar="APP", help="the app's name, instead of typing it"
        ),
        description=(
            "Permanently destroy an app with its releases, dynos and logs.\n"
            "Without --confirm the app's name is asked for on the terminal."
        ),
        app=True,
        examples=["runoff apps:destroy -a myapp --confirm myapp"],
    )
    commands.add(
        "apps:link",
        link_app,
        "use APP by default in this directory",
        arguments=lambda parser: parser.add_argument("name", metavar="APP", help="an existing app"),
        description=(
            f"Write a {config.APP_FILE} file naming APP into the current directory.\n"
            "Commands run here or below use it when neither -a nor RUNOFF_APP is given."
        ),
        examples=["runoff apps:link myapp"],
    )


def _create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", nargs="?", metavar="NAME", help="lowercase letters, digits and dashes, 3-30 long"
    )
    parser.add_argument("-t", "--team", metavar="TEAM", help="a team you belong to owns it")


def list_apps(args: argparse.Namespace, ctx: Context) -> int:
    apps = ctx.client().get("apps")
    if args.json:
        ctx.json(apps)
    elif not apps:
        ctx.out("You have no apps.")
    else:
        ctx.out("=== Apps", *sorted(str(app.get("name")) for app in apps))
    return 0


def create_app(args: argparse.Namespace, ctx: Context) -> int:
    payload = {"name": args.name} if args.name else {}
    if args.team:
        app = ctx.client().post("teams", "apps", payload={**payload, "team": args.team})
    else:
        app = ctx.client().post("apps", payload=payload)
    if args.json:
        ctx.json(app)
    else:
        ctx.out(f"Creating {app.get('name')}... done")
    return 0


def app_info(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.client().get("apps", ctx.app())
    if args.json:
        ctx.json(app)
    else:
        ctx.out(*render.app_lines(app, ctx.now()))
    return 0


def _ask_for_name(ctx: Context, app: str) -> str:
    if not ctx.system.stdin.isatty():
        raise RunoffError(f"refusing to destroy {app} without confirmation: add --confirm {app}")
    stderr = ctx.system.stderr
    stderr.write(
        f" !    WARNING: This will delete {app} with its releases, dynos and logs.\n"
        f" !    To proceed, type {app} or re-run this command with --confirm {app}\n\n> "
    )
    stderr.flush()
    return ctx.system.stdin.readline().strip()


def destroy_app(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    confirmation = args.confirm if args.confirm is not None else _ask_for_name(ctx, app)
    if confirmation != app:
        raise RunoffError(f"confirmation {confirmation!r} did not match {app}: nothing destroyed")
    ctx.client().delete("apps", app)
    ctx.out(f"Destroying {app}... done")
    return 0


def link_app(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().get("apps", args.name)  # fails here if the app does not exist
    written = config.link_app(ctx.system.cwd, args.name)
    ctx.out(f"Linked {ctx.system.cwd} to {args.name} ({written})")
    return 0
