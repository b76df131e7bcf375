"""``runoff``: the argparse wiring, and the one place user-facing errors are printed.

A ``RunoffError`` becomes one line ``runoff: <message>`` on stderr and exit status 1 (2 for a
usage error, as argparse does); nothing else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from runoff import __version__
from runoff.cli import config
from runoff.cli.context import Context, System, UsageError
from runoff.cli.options import CommandSet, api_url_option
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

# The module under runoff.cli declaring the commands of each topic (the part of a command's
# name before ":"), in listing order. Only the module of the command being run is imported:
# compiling the others costs start-up time where bytecode is not cached.
TOPICS = {
    "login": "auth",
    "logout": "auth",
    "auth": "auth",
    "authorizations": "auth",
    "users": "auth",
    "apps": "apps",
    "access": "access",
    "deploy": "deploy",
    "config": "config_vars",
    "releases": "releases",
    "run": "dynos",
    "ps": "dynos",
    "logs": "logs",
    "drains": "drains",
    "scheduler": "scheduler",
    "monitors": "monitors",
    "alerts": "monitors",
    "teams": "teams",
    "members": "teams",
    "addons": "addons",
    "metrics": "metrics",
    "server": "serve",
    "migrate": "serve",
    "status": "serve",
}


def _commands_of(modules: Iterable[str]) -> CommandSet:
    commands = CommandSet()
    for module in modules:
        importlib.import_module(f"runoff.cli.{module}").register(commands)
    return commands


def load_commands(only: str | None = None) -> CommandSet:
    """The commands of ``only``'s topic if ``only`` names a command, else all of them."""
    topic = TOPICS.get((only or "").partition(":")[0])
    if topic is not None:
        commands = _commands_of([topic])
        if only in commands.commands:
            return commands
    return _commands_of(dict.fromkeys(TOPICS.values()))


class Cli:
    """The ``runoff`` parser with the parsers of some or all commands."""

    def __init__(self, only: str | None = None, width: int | None = None) -> None:
        """``only`` builds just that command's parser (if it is one); ``width`` fixes the help
        text width (for the generated reference)."""

        def formatter(prog: str) -> argparse.HelpFormatter:
            return argparse.RawDescriptionHelpFormatter(prog, width=width)

        self.commands = load_commands(only)
        self.parser = argparse.ArgumentParser(
            prog="runoff",
            description="runoff: one-off processes the Heroku way, through a runoff server.",
            epilog="configuration:\n"
            + "\n".join(f"  {part}" for part in config.PRECEDENCE.replace("`", "").split("; ")),
            formatter_class=formatter,
        )
        api_url_option(self.parser)
        self.parser.add_argument("--version", action="version", version=f"runoff {__version__}")
        subparsers = self.parser.add_subparsers(title="commands", metavar="COMMAND")
        names = [only] if only in self.commands.commands else list(self.commands.commands)
        self.parsers = self.commands.attach(subparsers, formatter, names)


def command_name(argv: Sequence[str]) -> str | None:
    """The word naming the command, if nothing but ``--api-url`` comes before it."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--api-url":
            index += 2
        elif word.startswith("--api-url="):
            index += 1
        else:
            return None if word.startswith("-") else word
    return None


def _value_options(parser: argparse.ArgumentParser) -> tuple[dict[str, str], set[str]]:
    """The option strings of ``parser`` taking one value (each mapped to its long form) and
    all of its option strings."""
    takes_value: dict[str, str] = {}
    every: set[str] = set()
    for action in parser._actions:
        every.update(action.option_strings)
        if action.option_strings and action.nargs is None:
            longest = max(action.option_strings, key=len)
            takes_value.update(dict.fromkeys(action.option_strings, longest))
    return takes_value, every


def glue_dash_values(argv: Sequence[str], cli: Cli) -> list[str]:
    """Join an option to a value that starts with ``-`` (``--filter -state:failed`` becomes
    ``--filter=-state:failed``), which argparse would take for another option.

    Only before the command's first positional word (``run``'s command line is left alone)
    and never when the value is one of the command's own options or ``--``.
    """
    argv = list(argv)
    name = command_name(argv)
    parser = cli.parsers.get(name or "")
    if parser is None:
        return argv
    takes_value, every = _value_options(parser)
    index = argv.index(name) + 1 if name in argv else len(argv)
    while index < len(argv):
        word = argv[index]
        if word == "--" or not word.startswith("-"):
            break
        if word in takes_value and index + 1 < len(argv):
            value = argv[index + 1]
            if value.startswith("-") and value != "--" and value.partition("=")[0] not in every:
                argv[index : index + 2] = [f"{takes_value[word]}={value}"]
            else:
                index += 1
        index += 1
    return argv


def main(argv: Sequence[str] | None = None, system: System | None = None) -> int:
    system = system or System.real()
    argv = sys.argv[1:] if argv is None else list(argv)
    cli = Cli(only=command_name(argv))
    parser = cli.parser
    argv = glue_dash_values(argv, cli)
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
