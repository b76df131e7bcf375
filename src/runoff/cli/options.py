"""Declaring commands: one ``CommandSet.add`` call per command, with the shared options."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from runoff.cli.context import Context

    Handler = Callable[[argparse.Namespace, Context], int]
    Formatter = Callable[..., argparse.HelpFormatter]


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


class CommandSet:
    """The subcommands of the ``runoff`` parser, kept in order for the generated reference."""

    def __init__(
        self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser], formatter: Formatter
    ) -> None:
        self._subparsers = subparsers
        self._formatter = formatter
        self.parsers: dict[str, argparse.ArgumentParser] = {}
        self.summaries: dict[str, str] = {}
        # Also accepted after the command name; SUPPRESS keeps it from hiding a value given before.
        self._common = argparse.ArgumentParser(add_help=False)
        api_url_option(self._common, default=argparse.SUPPRESS)

    def add(
        self,
        name: str,
        handler: Handler,
        summary: str,
        *,
        description: str | None = None,
        examples: Sequence[str] = (),
        app: bool = False,
        json: bool = False,
    ) -> argparse.ArgumentParser:
        """A subcommand running ``handler``; ``app`` adds ``-a/--app``, ``json`` adds ``--json``."""
        epilog = None
        if examples:
            epilog = "examples:\n" + "\n".join(f"  $ {example}" for example in examples)
        parser = self._subparsers.add_parser(
            name,
            help=summary,
            description=description or summary[0].upper() + summary[1:] + ".",
            epilog=epilog,
            formatter_class=self._formatter,
            parents=[self._common],
        )
        if app:
            parser.add_argument(
                "-a",
                "--app",
                metavar="APP",
                help="app to act on (default: $RUNOFF_APP, then a .runoff-app file)",
            )
        if json:
            parser.add_argument("--json", action="store_true", help="print the API's JSON as is")
        parser.set_defaults(handler=handler)
        self.parsers[name] = parser
        self.summaries[name] = summary
        return parser
