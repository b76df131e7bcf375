"""Config vars: the environment every dyno of an app gets; each change makes a release."""

from __future__ import annotations

from runoff.cli import render
from runoff.cli.context import UsageError
from runoff.cli.releases import latest_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _shell(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shell", action="store_true", help="print KEY=value lines for a shell")


def _get_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY")
    _shell(parser)


def register(commands: CommandSet) -> None:
    commands.add(
        "config",
        show_config,
        "show an app's config vars",
        arguments=_shell,
        app=True,
        json=True,
        examples=["runoff config -a myapp", "runoff config --shell -a myapp > .env"],
    )
    commands.add(
        "config:get",
        get_config,
        "print one config var's value",
        arguments=_get_arguments,
        description="Print one config var's value (an empty line if it is not set).",
        app=True,
        examples=["runoff config:get DATABASE_URL -a myapp"],
    )
    commands.add(
        "config:set",
        set_config,
        "set config vars and restart the app",
        arguments=lambda parser: parser.add_argument("pairs", nargs="+", metavar="KEY=VALUE"),
        app=True,
        examples=["runoff config:set GREETING=hello 'MOTD=two words' -a myapp"],
    )
    commands.add(
        "config:unset",
        unset_config,
        "remove config vars and restart the app",
        arguments=lambda parser: parser.add_argument("keys", nargs="+", metavar="KEY"),
        app=True,
        examples=["runoff config:unset GREETING MOTD -a myapp"],
    )


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` → ``{"A": "1", "B": "x=y"}``; a pair without a key is an error."""
    parsed = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise UsageError(f"{pair!r} is invalid: expected KEY=VALUE")
        parsed[key] = value
    return parsed


def show_config(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    config = ctx.client().get("apps", app, "config-vars")
    if args.json:
        ctx.json(config)
    elif args.shell:
        ctx.out(*render.shell_lines(config))
    else:
        ctx.out(*render.config_lines(app, config))
    return 0


def get_config(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.client().get("apps", ctx.app(), "config-vars")
    value = config.get(args.key)
    if args.shell:
        ctx.out(*render.shell_lines({args.key: value or ""}))
    else:
        ctx.out("" if value is None else str(value))
    return 0


def _done(version: int | None) -> str:
    return "done" if version is None else f"done, v{version}"


def set_config(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    changes = parse_pairs(args.pairs)
    client = ctx.client()
    config = client.patch("apps", app, "config-vars", payload=changes)
    version = latest_version(client, app)
    ctx.out(f"Setting {', '.join(changes)} and restarting {app}... {_done(version)}")
    shown = config if isinstance(config, dict) else changes
    ctx.out(*render.aligned((key, str(shown.get(key, ""))) for key in changes))
    return 0


def unset_config(args: argparse.Namespace, ctx: Context) -> int:
    app = ctx.app()
    client = ctx.client()
    client.patch("apps", app, "config-vars", payload=dict.fromkeys(args.keys))
    version = latest_version(client, app)
    ctx.out(f"Unsetting {', '.join(args.keys)} and restarting {app}... {_done(version)}")
    return 0
