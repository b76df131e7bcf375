"""Procfile parsing (the honcho/foreman grammar, strict about mistakes).

A Procfile line is ``<type>: <command>`` where the type matches ``[A-Za-z0-9_-]+``. Blank lines
and lines starting with ``#`` are ignored. Anything else, an empty command or a type declared
twice, a command holding NUL or larger than ``MAX_COMMAND_BYTES`` (a dyno's command limit) is
a ``ProcfileError`` naming the line, so a broken Procfile never becomes a release, nor a command
that exec cannot run.
"""

from __future__ import annotations

import re

from runoff.apps.model import MAX_COMMAND_BYTES
from runoff.errors import Invalid

_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.*?)\s*$")
MAX_TYPE_LENGTH = 30


class ProcfileError(Invalid):
    id = "invalid_procfile"


def parse(text: str) -> dict[str, str]:
    """Map each process type to its command, in file order."""
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ProcfileError(
                f"Procfile line {number}: expected `<process type>: <command>`, got {line!r}"
            )
        name, command = match.groups()
        if not command:
            raise ProcfileError(f"Procfile line {number}: process type {name!r} has no command")
        if len(name) > MAX_TYPE_LENGTH:
            raise ProcfileError(
                f"Procfile line {number}: process type {name!r} is longer than "
                f"{MAX_TYPE_LENGTH} characters"
            )
        if "\x00" in command:
            raise ProcfileError(f"Procfile line {number}: the command holds a NUL character")
        if len(command.encode()) > MAX_COMMAND_BYTES:
            raise ProcfileError(
                f"Procfile line {number}: the command of {name!r} is larger than "
                f"{MAX_COMMAND_BYTES} bytes"
            )
        if name in processes:
            raise ProcfileError(f"Procfile line {number}: process type {name!r} is declared twice")
        processes[name] = command
    return processes


def resolve_command(command: str, process_types: dict[str, str]) -> str:
    """Substitute a leading process type by its command, keeping the remaining words.

    ``myworker 42`` with ``myworker: python`` becomes ``python 42``; anything else is unchanged.
    """
    words = command.strip().split(None, 1)
    if words and words[0] in process_types:
        substituted = process_types[words[0]]
        return f"{substituted} {words[1]}" if len(words) > 1 else substituted
    return command
