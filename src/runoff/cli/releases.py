"""Releases: the numbered history of an app's slug and config changes."""

from __future__ import annotations

from runoff.cli import render
from runoff.cli.options import whole_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.client import Client
    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def newest_first(count: int) -> dict[str, str]:
    """The ``Range`` header asking for the ``count`` newest releases."""
    return {"Range": f"version ..; order=desc,max={count}"}


def latest_version(client: Client, app: str) -> int | None:
    """The version of the app's newest release, or None if it has none."""
    releases = client.get("apps", app, "releases", headers=newest_first(1))
    if isinstance(releases, list) and releases and isinstance(releases[0], dict):
        version = releases[0].get("version")
        return version if isinstance(version, int) else None
    return None


def register(commands: CommandSet) -> None:
    commands.add(
        "releases",
        list_releases,
        "list an app's releases, newest first",
        arguments=lambda parser: parser.add_argument(
            "-n",
            "--num",
            type=whole_number(1),
            default=15,
            metavar="N",
            help="how many (default: 15)",
        ),
        app=True,
        json=True,
        examples=["runoff releases -a myapp", "runoff releases -n 50 -a myapp"],
    )


def list_releases(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    releases = ctx.client().get("apps", app, "releases", headers=newest_first(args.num))
    if args.json:
        ctx.json(releases)
    else:
        ctx.out(*render.releases_lines(app, releases, ctx.now()))
    return 0
