"""``runoff``: the argparse wiring, and the one place user-facing errors are printed.

A ``RunoffError`` becomes one line ``runoff: <message>`` on stderr and exit status 1 (2 for a
usage error, as argparse does); nothing else is caught.
"""

from __future__ import annotations

import argparse
import os
import sys

from runoff import __version__
from runoff.cli import access, apps, auth, config, config_vars, deploy, dynos, logs, releases, serve
from runoff.cli.context import Context, System, UsageError
from runoff.cli.options import CommandSet, api_url_option
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

DOMAINS = (auth, apps, access, deploy, config_vars, releases, dynos, logs, serve)


def build_cli(width: int | None = None) -> tuple[argparse.ArgumentParser, CommandSet]:
    """The parser and its commands; ``width`` fixes the help text width (for generated docs)."""

    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.RawDescriptionHelpFormatter(prog, width=width)

    parser = argparse.ArgumentParser(
        prog="runoff",
        description="runoff: one-off processes the Heroku way. Commands talk to a runoff server.",
        epilog="configuration:\n"
        + "\n".join(f"  {part}" for part in config.PRECEDENCE.replace("`", "").split("; ")),
        formatter_class=formatter,
    )
    api_url_option(parser)
    parser.add_argument("--version", action="version", version=f"runoff {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    commands = CommandSet(subparsers, formatter)
    for domain in DOMAINS:
        domain.register(commands)
    return parser, commands


def main(argv: Sequence[str] | None = None, system: System | None = None) -> int:
    system = system or System.real()
    parser, _ = build_cli()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version and usage errors
        return exit.code if isinstance(exit.code, int) else 2
    if getattr(args, "handler", None) is None:
        parser.print_help(system.stdout)
        return 0
    try:
        code: int = args.handler(args, Context(args, system))
        return code
    except RunoffError as error:
        system.stderr.write(f"runoff: {error.message}\n")
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        system.stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``runoff logs | head``): silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
