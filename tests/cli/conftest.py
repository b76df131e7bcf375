"""CLI fixtures: a fake API on loopback, and ``cli(...)`` running ``main`` against it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runoff.cli.context import System
from runoff.cli.main import main
from tests.cli.fakeapi import FakeApi, serve

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
TOKEN = "tok-alice"


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class Cli:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.sleeps: list[float] = []
        self.sleep: Callable[[float], None] = self.sleeps.append

    def __call__(self, *argv: str, stdin: str = "", tty: bool = False) -> Result:
        out, err = io.StringIO(), io.StringIO()
        system = System(
            env=self.env,
            cwd=str(self.cwd),
            stdin=Terminal(stdin) if tty else io.StringIO(stdin),
            stdout=out,
            stderr=err,
            now=lambda: NOW,
            sleep=self.sleep,
        )
        code = main(list(argv), system)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    yield from serve()


@pytest.fixture
def cli(fake_api: FakeApi, tmp_path: Path) -> Cli:
    """``cli("ps", "-a", "myapp")`` → ``Result``; logged in as alice via the environment."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "RUNOFF_API_URL": fake_api.url,
        "RUNOFF_API_KEY": TOKEN,
    }
    return Cli(env, work)
