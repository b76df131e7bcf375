"""Declaring commands: each domain module records its commands in a ``CommandSet``.

Only the parser of the command being run is built (building all of them costs more than the
rest of ``runoff run:detached``'s start-up); ``--help``, unknown commands and the generated
reference build them all.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from runoff.cli.context import Context

    Handler = Callable[[argparse.Namespace, Context], int]
    from argparse import _FormatterClass as Formatter

    Arguments = Callable[[argparse.ArgumentParser], object]


def api_url_option(parser: argparse.ArgumentParser, *, default: object = None) -> None:
    parser.add_argument(
        "--api-url",
        metavar="URL",
        default=default,
        help="runoff API server (default: $RUNOFF_API_URL, the config file, http://127.0.0.1:5000)",
    )


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers from ``minimum`` up."""

    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return int(text)

    return parse


class Command:
    """One subcommand: what runs it, its help texts and how to add its own arguments."""

    __slots__ = (
        "app",
        "arguments",
        "description",
        "examples",
        "handler",
        "json",
        "name",
        "summary",
    )

    def __init__(
        self,
        name: str,
        handler: Handler,
        summary: str,
        arguments: Arguments | None,
        description: str | None,
        examples: Sequence[str],
        app: bool,
        json: bool,
    ) -> None:
        self.name = name
        self.handler = handler
        self.summary = summary
        self.arguments = arguments
        self.description = description or summary[0].upper() + summary[1:] + "."
        self.examples = tuple(examples)
        self.app = app
        self.json = json

    def attach(
        self,
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
        formatter: Formatter,
        common: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        epilog = None
        if self.examples:
            epilog = "examples:\n" + "\n".join(f"  $ {example}" for example in self.examples)
        parser = subparsers.add_parser(
            self.name,
            help=self.summary,
            description=self.description,
            epilog=epilog,
            formatter_class=formatter,
            parents=[common],
        )
        if self.arguments is not None:
            self.arguments(parser)
        if self.app:
            parser.add_argument(
                "-a",
                "--app",
                metavar="APP",
                help="app to act on (default: $RUNOFF_APP, then a .runoff-app file)",
            )
        if self.json:
            parser.add_argument("--json", action="store_true", help="print the API's JSON as is")
        parser.set_defaults(handler=self.handler)
        return parser


class CommandSet:
    """The subcommands of ``runoff``, in the order they are listed."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}

    def add(
        self,
        name: str,
        handler: Handler,
        summary: str,
        *,
        arguments: Arguments | None = None,
        description: str | None = None,
        examples: Sequence[str] = (),
        app: bool = False,
        json: bool = False,
    ) -> None:
        """Record a command; ``arguments`` adds its own arguments to its parser, ``app`` adds
        ``-a/--app`` and ``json`` adds ``--json``."""
        self.commands[name] = Command(
            name, handler, summary, arguments, description, examples, app, json
        )

    def attach(
        self,
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
        formatter: Formatter,
        names: Iterable[str],
    ) -> dict[str, argparse.ArgumentParser]:
        """Build the parsers of the commands ``names`` as subparsers."""
        # Accepted after the command name too; SUPPRESS keeps it from hiding a value given before.
        common = argparse.ArgumentParser(add_help=False)
        api_url_option(common, default=argparse.SUPPRESS)
        return {name: self.commands[name].attach(subparsers, formatter, common) for name in names}
