"""An executor in memory: dynos that follow a script instead of running processes.

For tests where processes are not the point (the lifecycle, metrics, monitors, the scheduler,
formation): a fake dyno writes its script's output, lives for a while or until signalled,
exits with the script's status, and keeps every promise of the ``Handle`` contract (the same
suite in ``tests/dynos/contract`` checks it and the local executor). Time is the event loop's.

A dyno's ``Script`` comes from ``FakeExecutor.script`` (a command registered with
``FakeExecutor.on``) or, for any other command, from a tiny shell: ``echo``, ``printenv
NAME``, ``sleep N``, ``exit N``, ``true``, ``false`` and ``:`` (each maybe after ``exec``)
joined by ``;`` or ``&&``, with ``$NAME`` expanded from the dyno's environment; any other
word is "command not found" (127), as bash says.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import shlex
import signal
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from runoff.dynos.executor import DynoSpec, StartFailed, Usage, Window

OUTPUT_QUEUE = 64  # chunks a dyno writes ahead of its reader before it blocks (a pipe's buffer)
_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Script:
    """What a fake dyno does."""

    output: Sequence[bytes] = ()  # written at once, in order
    exit_status: int = 0
    runs_for: float | None = 0.0  # seconds after its output until it exits; None: until killed
    ignores: frozenset[signal.Signals] = frozenset()  # survives these (never SIGKILL)
    leaves_behind: bool = False  # a daemonized child that outlives it (output not held)
    echo_input: bool = False  # attached: answers each input line with ``got LINE``; exits at EOF
    usage: Usage | None = None
    fails_to_start: str | None = None  # ``start`` raises ``StartFailed`` with this reason


IDLE_USAGE = Usage(rss=8 << 20, cache=0, swap=0, pgpgin=0, pgpgout=0, cpu_seconds=0.0)


def shell(command: str, env: Mapping[str, str]) -> Script:
    """The script of a simple shell command (see the module doc)."""
    output: list[bytes] = []
    runs_for = 0.0
    status = 0
    for part in re.split(r"\s*(?:;|&&)\s*", command.strip()):
        if not part:
            continue
        try:
            words = shlex.split(_VAR.sub(lambda m: env.get(m[1] or m[2], ""), part))
        except ValueError:
            return Script(output=[b"bash: syntax error\n"], exit_status=2)
        if words[0] == "exec" and len(words) > 1:
            words = words[1:]
        name, args = words[0], words[1:]
        if name == "echo":
            output.append(" ".join(args).encode() + b"\n")
        elif name == "printenv":
            output.extend(env[arg].encode() + b"\n" for arg in args if arg in env)
        elif name == "sleep":
            runs_for += float(args[0]) if args else 0.0
        elif name in ("true", ":"):
            status = 0
        elif name == "false":
            status = 1
        elif name == "exit":
            return Script(output=output, runs_for=runs_for, exit_status=int(args[0]) % 256)
        else:
            return Script(
                output=[*output, f"bash: {name}: command not found\n".encode()],
                runs_for=runs_for,
                exit_status=127,
            )
    return Script(output=output, runs_for=runs_for, exit_status=status)


class _Pipe:
    """One direction of a stream: bounded, so a writer waits for its reader."""

    def __init__(self) -> None:
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue(OUTPUT_QUEUE)
        self.closed = False

    async def put(self, data: bytes) -> None:
        if not self.closed and data:
            await self._chunks.put(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self._chunks.put_nowait(b"")

    async def get(self) -> bytes:
        if self.closed and self._chunks.empty():
            return b""
        data = await self._chunks.get()
        if not data:
            self._chunks.put_nowait(b"")  # later reads see the end too
        return data


class FakeTerminal:
    """An attached fake dyno's streams (``TerminalStream``)."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.output = _Pipe()  # dyno -> client
        self.input = _Pipe()  # client -> dyno

    async def read(self) -> bytes:
        return await self.output.get()

    async def write(self, data: bytes) -> None:
        await self.input.put(data)

    def resize(self, window: Window) -> None:
        self.window = window

    def end_input(self) -> None:
        self.input.close()

    def close(self) -> None:
        self.input.close()
        self.output.close()


@dataclass(eq=False)
class FakeHandle:
    spec: DynoSpec
    script: Script
    executor: FakeExecutor
    address: tuple[str, int] | None = None
    terminal: FakeTerminal | None = None
    signals: list[signal.Signals] = field(default_factory=list)  # every signal delivered
    usage_now: Usage | None = None  # what ``usage`` reports; tests may set it
    _exited: asyncio.Future[int] = field(init=False)
    _output: _Pipe = field(default_factory=_Pipe)
    _main: asyncio.Task[None] | None = None
    _daemon: bool = False
    _cleaned: bool = False

    def __post_init__(self) -> None:
        self._exited = asyncio.get_running_loop().create_future()
        self.usage_now = self.script.usage or IDLE_USAGE

    def _begin(self) -> None:
        self._daemon = self.script.leaves_behind
        self._main = asyncio.get_running_loop().create_task(
            self._run(), name=f"fake {self.spec.name}"
        )

    async def _run(self) -> None:
        out = self.terminal.output if self.terminal is not None else self._output
        for chunk in self.script.output:
            await out.put(chunk)
        if self.terminal is not None and self.script.echo_input:
            buffered = b""
            while data := await self.terminal.input.get():
                buffered += data
                while b"\n" in buffered:
                    line, buffered = buffered.split(b"\n", 1)
                    await out.put(b"got " + line + b"\n")
        elif self.script.runs_for is None:
            await asyncio.Event().wait()  # until a signal ends it
        elif self.script.runs_for > 0:
            await asyncio.sleep(self.script.runs_for)
        self._end(self.script.exit_status)

    def _end(self, status: int) -> None:
        if self._exited.done():
            return
        self._exited.set_result(status)
        self._output.close()
        if self.terminal is not None:
            self.terminal.output.close()
        if self._main is not None and self._main is not asyncio.current_task():
            self._main.cancel()

    # the Handle contract ---------------------------------------------------------------------
    async def read(self) -> bytes:
        return await self._output.get()

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    async def signal(self, sig: signal.Signals) -> int:
        delivered = 0
        dies = sig == signal.SIGKILL or sig not in self.script.ignores
        if not self._exited.done():
            delivered += 1
            self.signals.append(sig)
            if dies:
                self._end(128 + sig)
        if self._daemon:
            delivered += 1
            self._daemon = not dies
        await asyncio.sleep(0)
        return delivered

    async def alive(self) -> bool:
        return not self._exited.done() or self._daemon

    async def usage(self) -> Usage | None:
        return self.usage_now if await self.alive() else None

    async def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        self._daemon = False
        self._end(128 + signal.SIGKILL)
        if self.terminal is not None:
            self.terminal.close()
        self.executor.live.pop(self.spec.dyno_id, None)

    # driving it from a test ------------------------------------------------------------------
    async def emit(self, data: bytes) -> None:
        """Write ``data`` as the dyno's output now."""
        out = self.terminal.output if self.terminal is not None else self._output
        await out.put(data)

    def exit(self, status: int) -> None:
        """End the dyno's main process now with ``status``."""
        self._end(status)


class FakeExecutor:
    """Runs dynos in memory (see the module doc)."""

    name = "fake"
    isolation = "none"

    def __init__(
        self,
        scripts: Mapping[str, Script] | None = None,
        *,
        enforces_memory: bool = False,
    ) -> None:
        self.enforces_memory = enforces_memory
        self._scripts: dict[str, Script | Callable[[DynoSpec], Script]] = dict(scripts or {})
        self.started: list[DynoSpec] = []  # every spec started, in order
        self.live: dict[str, FakeHandle] = {}  # dyno id -> handle, until cleaned up
        self._ports = itertools.count(20000)
        self.closed = False

    def on(self, command: str, script: Script | Callable[[DynoSpec], Script]) -> None:
        """Run ``script`` for dynos whose command is ``command``."""
        self._scripts[command] = script

    def script(self, spec: DynoSpec) -> Script:
        found = self._scripts.get(spec.command)
        if found is None:
            return shell(spec.command, spec.env)
        return found(spec) if callable(found) else found

    async def start(self, spec: DynoSpec) -> FakeHandle:
        env = dict(spec.env)
        address = None
        if spec.web:
            address = ("127.0.0.1", next(self._ports))
            env["PORT"] = str(address[1])
        spec = replace(spec, env=env)
        script = self.script(spec)
        if script.fails_to_start is not None:
            raise StartFailed(script.fails_to_start)
        terminal = FakeTerminal(spec.terminal.window) if spec.terminal is not None else None
        handle = FakeHandle(spec, script, self, address=address, terminal=terminal)
        self.started.append(spec)
        self.live[spec.dyno_id] = handle
        handle._begin()
        return handle

    def handle(self, dyno_id: str) -> FakeHandle:
        return self.live[dyno_id]

    async def reconcile(self, dyno_ids: Collection[str]) -> None:
        for dyno_id in dyno_ids:
            if (handle := self.live.get(dyno_id)) is not None:  # nobody follows it any more
                await handle.cleanup()

    async def close(self) -> None:
        self.closed = True
