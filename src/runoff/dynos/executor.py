"""The seam between a dyno's lifecycle and whatever runs its processes.

An ``Executor`` is the only code that touches processes: it starts a ``DynoSpec`` and hands
back a ``Handle``. Everything above it (the lifecycle, the API, formation, the scheduler, the
release phase, metrics) speaks in dynos and never in pids, cgroups or local paths, so a dyno
may run on this machine (``local``), in memory (``fake``, for tests where processes are not
the point) or on another node (a cluster executor) behind the same contract, which
``tests/dynos/contract`` checks for every executor.

Contract of a handle, for the lifecycle:

- ``read`` returns the next chunk of a detached dyno's output (stdout and stderr, in the order
  written), ``b""`` once it has ended; not reading blocks the dyno (back-pressure), never
  loses output. An attached dyno's output goes to its ``terminal`` instead.
- ``wait`` returns the main process's exit status (128 + N when signal N ended it); the dyno's
  other processes may outlive it until ``signal``/``cleanup``.
- ``signal`` delivers a signal to every process of the dyno, daemonized ones included, and
  returns how many received it (0 when none is left).
- ``alive`` says whether any process of the dyno is left.
- ``usage`` reads what the dyno uses now (None when unknown).
- ``cleanup`` kills whatever is left and releases everything the dyno held (workspace,
  control groups, descriptors). It is idempotent; ``start`` failing leaves nothing to clean.
"""

from __future__ import annotations

import signal
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol


class StartFailed(Exception):
    """The executor could not start the dyno (the lifecycle records an R10 boot failure)."""


@dataclass(frozen=True)
class Limits:
    """What a dyno's size allows it: memory (bytes; -1 unlimited) and a relative CPU share."""

    memory_bytes: int  # hard limit: above it the dyno is killed (R15)
    soft_memory_bytes: int  # its quota: above it, R14
    cpu_shares: int


UNLIMITED = Limits(memory_bytes=-1, soft_memory_bytes=-1, cpu_shares=1024)


@dataclass(frozen=True)
class Window:
    """A terminal's size."""

    rows: int
    cols: int


@dataclass(frozen=True)
class Terminal:
    """How an attached dyno's standard streams are set up: a pseudo-terminal (``tty``) of
    ``window``'s size, or pipes."""

    tty: bool
    window: Window


@dataclass(frozen=True)
class DynoSpec:
    """What to run for one recorded dyno."""

    dyno_id: str
    app_id: str
    name: str
    command: str  # run as ``bash -c command``
    env: Mapping[str, str]  # exactly the dyno's environment (config vars and platform values)
    slug_id: str | None  # the release's slug, unpacked at ``/app``; None: an empty app
    limits: Limits = UNLIMITED
    terminal: Terminal | None = None  # None: detached (stdin empty, output to ``read``)
    web: bool = False  # the executor picks a port, sets ``PORT``, and reports ``address``


@dataclass(frozen=True)
class Usage:
    """What a dyno uses: memory (bytes) and cumulative CPU time."""

    rss: int
    cache: int
    swap: int
    pgpgin: int  # pages, cumulative
    pgpgout: int
    cpu_seconds: float
    oom_kills: int = 0  # processes killed for the memory limit

    @property
    def total(self) -> int:
        """What counts against the quota: resident plus swapped-out memory."""
        return self.rss + self.swap


class TerminalStream(Protocol):
    """An attached dyno's standard streams, as the rendezvous bridges them to a client."""

    async def read(self) -> bytes:
        """The next chunk of output; ``b""`` once the dyno's side is closed."""
        ...

    async def write(self, data: bytes) -> None:
        """Send input, waiting while the dyno does not read; dropped once nobody can."""
        ...

    def resize(self, window: Window) -> None: ...

    def end_input(self) -> None:
        """End of input: the terminal's EOF character, or the stdin pipe closed."""
        ...

    def close(self) -> None: ...


class Handle(Protocol):
    """A started dyno (see the module doc for the contract)."""

    @property
    def terminal(self) -> TerminalStream | None: ...

    @property
    def address(self) -> tuple[str, int] | None:
        """Where a web dyno's ``PORT`` listens (host, port); None for other dynos."""
        ...

    async def read(self) -> bytes: ...

    async def wait(self) -> int: ...

    async def signal(self, sig: signal.Signals) -> int: ...

    async def alive(self) -> bool: ...

    async def usage(self) -> Usage | None: ...

    async def cleanup(self) -> None: ...


class Executor(Protocol):
    @property
    def name(self) -> str:
        """``local``, ``fake``, ...: shown by the health route and ``runoff status``."""
        ...

    @property
    def enforces_memory(self) -> bool:
        """Whether ``Limits.memory_bytes`` is enforced by the executor itself (a memory
        cgroup); otherwise the lifecycle's watchdog stops a dyno over its limit."""
        ...

    @property
    def isolation(self) -> str:
        """``sandbox`` or ``none``: how far a dyno is kept from the server and other apps."""
        ...

    async def start(self, spec: DynoSpec) -> Handle:
        """Start the dyno; raises ``StartFailed`` if it cannot run at all."""
        ...

    async def reconcile(self, dyno_ids: Collection[str]) -> None:
        """Remove whatever is left of dynos that no server follows any more (their server
        died): processes, workspaces, control groups. Unknown ids are ignored."""
        ...

    async def close(self) -> None:
        """Release the executor's own resources (dynos are stopped by the lifecycle first)."""
        ...


def exit_status(returncode: int) -> int:
    """Shell convention: a process killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode
