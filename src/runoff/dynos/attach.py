"""An attached dyno's terminal, bridged to the client that claims its rendezvous secret.

The dyno's process starts when the dyno is created, before any client connects; until one
does, its output waits in the kernel (the pty or pipe fills, then the process blocks). Phases:

- ``WAITING``: nobody has connected yet. The secret expires after the attach timeout:
  ``unclaimed`` is called (the dyno manager logs R13 and stops the dyno if it still runs).
- ``ATTACHED``: output flows to the client, input to the process, window sizes to the pty.
  The session ends when the dyno has ended and its output reached the client (``finish``
  sends the exit status and closes the connection; the record follows at once), or when the
  client goes away or stays idle (no input and no output) for the idle timeout: then
  ``hangup`` is called (SIGHUP to the dyno, which may trap it).
- ``DETACHED``: the session is over; output still produced is read and discarded, so a process
  that traps SIGHUP is not blocked writing to a terminal nobody reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from runoff.dynos import wire
from runoff.dynos.executor import Terminal, TerminalStream, Window

if TYPE_CHECKING:
    from runoff.dynos.rendezvous import Connection

FORCED_DRAIN_SECONDS = 2.0
DEFAULT_ROWS = 24
DEFAULT_COLS = 80
MAX_SIDE = 0xFFFF
# The Heroku CLI's ``-x`` appends this to the command and reads the status from the output.
EXIT_MARKER_SUFFIX = ' ; echo "\uffff heroku-command-exit-status: $?"'


@dataclass(frozen=True)
class AttachPoint:
    """Where the client connects: ``rendezvous://HOST:PORT/SECRET`` and the SHA-256 of the
    server certificate (runoff's CLI pins it; the Heroku CLI checks it against its CAs)."""

    url: str
    fingerprint: str


def split_exit_marker(command: str) -> tuple[str, bool]:
    """The command without the Heroku CLI's exit-status marker, and whether it had one."""
    if command.endswith(EXIT_MARKER_SUFFIX) and len(command) > len(EXIT_MARKER_SUFFIX):
        return command[: -len(EXIT_MARKER_SUFFIX)], True
    return command, False


def with_exit_marker(command: str) -> str:
    """The script for ``heroku run -x``: the command in a subshell, so that an ``exit N`` in it
    ends only the subshell and the marker still reports ``N``."""
    return f"(\n{command}\n){EXIT_MARKER_SUFFIX}"


def _side(value: str | None, default: int) -> int:
    if value is None or not value.strip().isdigit():
        return default
    number = int(value)
    return number if 0 < number <= MAX_SIDE else default


def window_from_env(env: Mapping[str, str]) -> Window:
    """The window size the client asked for (``LINES`` x ``COLUMNS``), else 24 x 80."""
    return Window(_side(env.get("LINES"), DEFAULT_ROWS), _side(env.get("COLUMNS"), DEFAULT_COLS))


class Phase(Enum):
    WAITING = "waiting"
    ATTACHED = "attached"
    DETACHED = "detached"


def _noop() -> None:
    pass


class Attachment:
    """The terminal of one attached dyno and the session of the client that claims it."""

    def __init__(self, *, tty: bool, window: Window, exit_marker: bool, idle_seconds: float):
        self.tty = tty
        self.window = window
        self.exit_marker = exit_marker
        self.idle_seconds = idle_seconds
        self.phase = Phase.WAITING
        self.hung_up = False
        """The session ended with the client gone (or idle) while the dyno ran."""
        self._stdio: TerminalStream | None = None
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hangup: Callable[[], None] = _noop
        self._unclaimed: Callable[[], None] = _noop
        self._output_done = asyncio.Event()
        self._ended = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None  # output: dyno -> client
        self._feeder: asyncio.Task[None] | None = None  # input: client -> dyno
        self._closer: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._last_activity = 0.0

    # dyno side -------------------------------------------------------------------------------
    @property
    def terminal(self) -> Terminal:
        return Terminal(tty=self.tty, window=self.window)

    def script(self, command: str) -> str:
        """The command the dyno runs: with the Heroku CLI's exit marker when it asked."""
        return with_exit_marker(command) if self.exit_marker else command

    def bind(self, stream: TerminalStream) -> None:
        """The dyno started: its standard streams are ``stream`` (called once)."""
        self._stdio = stream

    def watch(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        hangup: Callable[[], None],
        unclaimed: Callable[[], None],
    ) -> None:
        """Bind to the dyno manager's loop and its reactions to a hangup and to no client."""
        self._loop = loop
        self._hangup = hangup
        self._unclaimed = unclaimed

    async def drain(self, forced: bool) -> None:
        """Return once the dyno's output has reached the client (or cannot): after its output
        ended and was sent, or the session ended, or the secret expired. A forced end waits for
        no client and gives the output at most ``FORCED_DRAIN_SECONDS``."""
        if self.phase is Phase.WAITING and forced:
            self.abandon()
        if self.phase is Phase.DETACHED:
            return
        done = asyncio.ensure_future(self._first(self._output_done, self._ended))
        if forced:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, FORCED_DRAIN_SECONDS)
        else:
            await done

    @staticmethod
    async def _first(*events: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def finish(self, status: int) -> None:
        """The dyno has ended and its output is drained: send the exit status (runoff's
        clients) and close the connection; release the terminal."""
        conn = self._conn
        if self.phase is Phase.ATTACHED and conn is not None:
            conn.send_exit(status)
            conn.close()
        self.phase = Phase.DETACHED
        self._ended.set()
        self._stop_idle_timer()
        self._release()

    def _release(self) -> None:
        """Close the terminal once no task waits on its fds (a closed fd's number is reused,
        and a late ``remove_reader`` would then hit someone else's)."""
        if self._stdio is None:
            return
        stdio = self._stdio
        tasks = [t for t in (self._pump, self._feeder) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if not tasks:
            stdio.close()
            return

        async def close_after() -> None:
            await asyncio.wait(tasks)
            stdio.close()

        self._closer = asyncio.ensure_future(close_after())

    # rendezvous side -------------------------------------------------------------------------
    async def serve(self, conn: Connection, name: str) -> None:
        """Run the session of the client that claimed the secret, until it ends."""
        if self.phase is not Phase.WAITING or self._stdio is None:
            conn.close()
            return
        self.phase = Phase.ATTACHED
        self._conn = conn
        try:
            await conn.greet(name)
        except OSError:
            self._lose()
            return
        if self.phase is not Phase.ATTACHED:  # the dyno ended meanwhile
            return
        self._touch()
        self._pump = asyncio.ensure_future(self._pump_output())
        self._feeder = asyncio.ensure_future(self._pump_input(conn))
        self._idle = self._call_later(self.idle_seconds, self._check_idle)
        await asyncio.wait([self._feeder])

    def expire(self) -> None:
        """Nobody claimed the secret in time."""
        if self.phase is Phase.WAITING:
            self.abandon()
            self._unclaimed()

    def abandon(self) -> None:
        """Stop waiting for a client (its secret expired, or the server is stopping)."""
        if self.phase is not Phase.WAITING:
            return
        self.phase = Phase.DETACHED
        self._ended.set()
        if self._stdio is not None and self._loop is not None:
            self._pump = self._loop.create_task(self._pump_output())

    # the session -----------------------------------------------------------------------------
    def _call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        assert self._loop is not None
        return self._loop.call_later(delay, callback)

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    def _lose(self) -> None:
        """The client is gone (or idle): end the session and hang up the dyno."""
        if self.phase is not Phase.ATTACHED:
            return
        self.phase = Phase.DETACHED
        self.hung_up = True
        if self._conn is not None:
            self._conn.close()
        self._stop_idle_timer()
        self._ended.set()
        self._hangup()

    def _stop_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _check_idle(self) -> None:
        if self.phase is not Phase.ATTACHED or self._loop is None:
            return
        idle_for = self._loop.time() - self._last_activity
        if idle_for < self.idle_seconds:
            self._idle = self._call_later(self.idle_seconds - idle_for, self._check_idle)
            return
        if self._conn is not None:
            self._conn.notice(
                f"no input and no output for {self.idle_seconds:g} seconds: "
                "the connection is closed and the dyno gets SIGHUP"
            )
        self._lose()

    async def _pump_input(self, conn: Connection) -> None:
        assert self._stdio is not None
        while self.phase is Phase.ATTACHED:
            messages = await conn.receive()
            if messages is None:
                self._lose()
                return
            self._touch()
            for kind, payload in messages:
                if kind == wire.INPUT:
                    await self._stdio.write(payload)
                elif kind == wire.WINDOW and len(payload) == wire.WINDOW_SIZE.size:
                    rows, cols = wire.WINDOW_SIZE.unpack(payload)
                    with contextlib.suppress(OSError):
                        self._stdio.resize(Window(rows or 1, cols or 1))
                elif kind == wire.END:
                    self._stdio.end_input()

    async def _pump_output(self) -> None:
        assert self._stdio is not None
        while data := await self._stdio.read():
            conn = self._conn
            if self.phase is not Phase.ATTACHED or conn is None:
                continue  # detached: discard
            self._touch()
            try:
                await conn.send_output(data)
            except OSError:
                self._lose()
        self._output_done.set()
