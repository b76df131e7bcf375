"""Collaborators: who may use an app."""

from __future__ import annotations

from runoff.cli import render

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _email(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("email", metavar="EMAIL", help="the user's e-mail address")


def register(commands: CommandSet) -> None:
    commands.add(
        "access",
        list_access,
        "list who can access an app",
        app=True,
        json=True,
        examples=["runoff access -a myapp"],
    )
    commands.add(
        "access:add",
        add_access,
        "give a user access to an app",
        arguments=_email,
        app=True,
        examples=["runoff access:add bob@example.com -a myapp"],
    )
    commands.add(
        "access:remove",
        remove_access,
        "take a user's access to an app away",
        arguments=_email,
        app=True,
        examples=["runoff access:remove bob@example.com -a myapp"],
    )


def list_access(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    collaborators = ctx.client().get("apps", app, "collaborators")
    if args.json:
        ctx.json(collaborators)
        return 0
    rows = []
    for collaborator in collaborators:
        user = collaborator.get("user")
        email = user.get("email") if isinstance(user, dict) else None
        rows.append([str(email), str(collaborator.get("role") or "collaborator")])
    ctx.out(f"=== {app} Access List", *render.table(sorted(rows)))
    return 0


def add_access(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    ctx.client().post("apps", app, "collaborators", payload={"user": args.email})
    ctx.out(f"Adding {args.email} access to {app}... done")
    return 0


def remove_access(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    ctx.client().delete("apps", app, "collaborators", args.email)
    ctx.out(f"Removing {args.email} access from {app}... done")
    return 0
