"""What a command may touch: the parsed arguments, environment, streams, clock and the API.

``System`` bundles the outside world so tests pass their own streams, environment and clock
instead of monkeypatching; ``Context`` adds the lazily resolved settings for one invocation.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime

from runoff.cli import config
from runoff.cli.render import json_text
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Mapping
    from typing import TextIO

    from runoff.cli.client import Client


class UsageError(RunoffError):
    """The command line is wrong in a way argparse cannot see; exits 2 like argparse does."""


def _local_now() -> datetime:
    return datetime.now().astimezone()


class System:
    """The environment, working directory, standard streams, clock and sleep of a run."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        cwd: str,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
        now: Callable[[], datetime] = _local_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.env = env
        self.cwd = cwd
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.now = now
        self.sleep = sleep

    @classmethod
    def real(cls) -> System:
        return cls(
            env=os.environ, cwd=os.getcwd(), stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr
        )


class Context:
    """One invocation: arguments plus settings resolved on first use (see ``config``)."""

    def __init__(self, args: argparse.Namespace, system: System) -> None:
        self.args = args
        self.system = system
        self._saved: dict[str, str] | None = None

    @property
    def env(self) -> Mapping[str, str]:
        return self.system.env

    @property
    def config_path(self) -> str:
        return config.config_path(self.env)

    def saved(self) -> dict[str, str]:
        if self._saved is None:
            self._saved = config.load(self.config_path)
        return self._saved

    def api_url(self) -> str:
        return config.api_url(getattr(self.args, "api_url", None), self.env, self.saved())

    def client(self, token: str | None = None, *, timeout: float = 30.0) -> Client:
        """A client for the resolved API URL, with ``token`` or else the configured one."""
        from runoff.cli.client import Client  # the HTTP modules load only when a request is made

        url = self.api_url()
        return Client(url, token or config.token(self.env, self.saved(), url), timeout=timeout)

    def app(self) -> str:
        return config.app(getattr(self.args, "app", None), self.env, self.system.cwd)

    def now(self) -> datetime:
        return self.system.now()

    def out(self, *lines: str) -> None:
        for line in lines:
            self.system.stdout.write(line + "\n")

    def err(self, *lines: str) -> None:
        for line in lines:
            self.system.stderr.write(line + "\n")

    def json(self, data: object) -> None:
        self.out(json_text(data))
