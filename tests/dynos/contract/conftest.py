"""The executors the contract suite runs against, and how each realises a ``Program``.

A contract test says what a dyno does as a ``Program`` (output, exit status, how long it
runs, which signals it ignores, a child it leaves behind, input it echoes); each executor's
fixture turns it into what that executor runs: a ``bash`` command for the local executor, a
``Script`` for the fake. A new executor (the cluster's) adds a fixture here and must pass the
same tests.
"""

from __future__ import annotations

import asyncio
import shlex
import signal
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runoff.dynos.executor import DynoSpec, Executor, Terminal, Window
from runoff.dynos.fake import FakeExecutor, Script
from runoff.dynos.local.executor import LocalExecutor
from runoff.platform import Platform
from tests.support.databases import fresh_database_url
from tests.support.live import test_settings
from tests.support.procs import marked_processes


@dataclass(frozen=True)
class Program:
    lines: tuple[str, ...] = ()
    env_names: tuple[str, ...] = ()  # prints NAME=value for each
    output_bytes: int = 0  # then this many bytes of "x"
    exit_status: int = 0
    runs_for: float | None = 0.0  # None: until killed
    ignores: frozenset[signal.Signals] = frozenset()
    leaves_behind: bool = False
    echo_input: bool = False


@dataclass
class Contract:
    """An executor under test and how to give it a program."""

    kind: str
    executor: Executor
    _fake: FakeExecutor | None = None
    started: list[str] = field(default_factory=list)
    traces: Callable[[str], list[str]] = lambda dyno_id: []  # what is left of a dyno

    def spec(
        self,
        program: Program,
        *,
        env: dict[str, str] | None = None,
        terminal: Terminal | None = None,
        web: bool = False,
    ) -> DynoSpec:
        dyno_id = str(uuid.uuid4())
        self.started.append(dyno_id)
        command = self._command(program, dyno_id, env or {})
        return DynoSpec(
            dyno_id=dyno_id,
            app_id="app-" + dyno_id[:8],
            name="run.1",
            command=command,
            env=env or {},
            slug_id=None,
            terminal=terminal,
            web=web,
        )

    def _command(self, program: Program, dyno_id: str, env: dict[str, str]) -> str:
        if self._fake is not None:
            output = [line.encode() + b"\n" for line in program.lines]

            def script(spec: DynoSpec) -> Script:
                names = [f"{n}={spec.env.get(n, '')}\n".encode() for n in program.env_names]
                big = [b"x" * 4096] * (program.output_bytes // 4096)
                rest = b"x" * (program.output_bytes % 4096)
                return Script(
                    output=[*output, *names, *big, rest],
                    exit_status=program.exit_status,
                    runs_for=program.runs_for,
                    ignores=program.ignores,
                    leaves_behind=program.leaves_behind,
                    echo_input=program.echo_input,
                )

            self._fake.on(dyno_id, script)
            return dyno_id
        parts = []
        if program.ignores:
            names = " ".join(s.name.removeprefix("SIG") for s in program.ignores)
            parts.append(f"trap '' {names}")
        parts += [f"echo {shlex.quote(line)}" for line in program.lines]
        parts += [f'echo "{name}=${name}"' for name in program.env_names]
        if program.output_bytes:
            parts.append(f"head -c {program.output_bytes} /dev/zero | tr '\\0' x")
        if program.leaves_behind:
            parts.append("setsid sleep 1000 </dev/null >/dev/null 2>&1 &")
        if program.echo_input:
            parts.append('while IFS= read -r line; do echo "got $line"; done')
        elif program.runs_for is None:
            parts.append("sleep 1000 & wait")
        elif program.runs_for:
            parts.append(f"sleep {program.runs_for}")
        parts.append(f"exit {program.exit_status}")
        return "\n".join(parts)


TTY = Terminal(tty=True, window=Window(rows=24, cols=80))
PIPES = Terminal(tty=False, window=Window(rows=24, cols=80))


@pytest.fixture(params=["local", "fake"])
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contract]:
    if request.param == "fake":
        fake = FakeExecutor()
        yield Contract(
            "fake", fake, fake, traces=lambda dyno_id: list(fake.live.keys() & {dyno_id})
        )
        return
    with fresh_database_url(tmp_path) as url:
        platform = Platform(test_settings(tmp_path / "data", url))
        executor = platform.executor
        assert isinstance(executor, LocalExecutor)
        contract = Contract(
            "local",
            executor,
            traces=lambda dyno_id: local_traces(executor, tmp_path / "data" / "dynos", dyno_id),
        )
        try:
            yield contract
        finally:
            # whatever a failed test left running or mounted goes, as after a server's crash
            asyncio.run(executor.reconcile(contract.started))
            platform.close()


def local_traces(executor: LocalExecutor, workspaces: Path, dyno_id: str) -> list[str]:
    """Processes, mounts, control groups and directories of ``dyno_id`` on this machine."""
    found = []
    mounts = Path("/proc/self/mountinfo").read_text()
    found += [f"mount: {line}" for line in mounts.splitlines() if dyno_id in line]
    cgroup = executor.cgroups.path(dyno_id)
    if cgroup is not None and cgroup.exists():
        found.append(f"cgroup: {cgroup}")
    workspace = workspaces / dyno_id
    if workspace.exists():
        found.append(f"workspace: {workspace}")
    found += [f"process: {pid}" for pid in marked_processes(dyno_id)]
    return found
