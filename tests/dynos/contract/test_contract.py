"""What every executor promises the dyno lifecycle (``runoff.dynos.executor``), checked
against each of them (see conftest.py)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

from runoff.dynos.executor import Handle, Terminal
from tests.dynos.contract.conftest import PIPES, TTY, Contract, Program

T = TypeVar("T")
LONG = 30.0  # a bound that only a broken executor reaches


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), 120))


async def read_all(handle: Handle) -> bytes:
    out = b""
    while chunk := await asyncio.wait_for(handle.read(), LONG):
        out += chunk
    return out


async def ends(handle: Handle) -> int:
    return await asyncio.wait_for(handle.wait(), LONG)


async def until_gone(handle: Handle) -> None:
    for _ in range(600):
        if not await handle.alive():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the dyno's processes are still alive")


def test_output_in_order_then_the_exit_status(contract: Contract) -> None:
    async def scenario() -> None:
        spec = contract.spec(Program(lines=("one", "two", "three"), exit_status=3))
        handle = await contract.executor.start(spec)
        assert await read_all(handle) == b"one\ntwo\nthree\n"
        assert await ends(handle) == 3
        assert await read_all(handle) == b""  # the end stays the end
        await handle.cleanup()
        assert contract.traces(spec.dyno_id) == []

    run(scenario)


def test_the_environment_is_the_specs(contract: Contract) -> None:
    async def scenario() -> None:
        env = {"GREETING": "hello world", "DYNO": "run.1"}
        handle = await contract.executor.start(
            contract.spec(Program(env_names=("GREETING", "DYNO", "UNSET")), env=env)
        )
        out = await read_all(handle)
        assert out == b"GREETING=hello world\nDYNO=run.1\nUNSET=\n"
        assert await ends(handle) == 0
        await handle.cleanup()

    run(scenario)


def test_output_not_read_waits_and_is_never_lost(contract: Contract) -> None:
    size = 3 * 1024 * 1024  # more than any pipe or queue holds

    async def scenario() -> None:
        handle = await contract.executor.start(contract.spec(Program(output_bytes=size)))
        await asyncio.sleep(0.3)  # nobody reads: the dyno must wait, not drop
        assert await read_all(handle) == b"x" * size
        assert await ends(handle) == 0
        await handle.cleanup()

    run(scenario)


def test_sigterm_ends_a_dyno_with_128_plus_the_signal(contract: Contract) -> None:
    async def scenario() -> None:
        spec = contract.spec(Program(runs_for=None))
        handle = await contract.executor.start(spec)
        assert await handle.alive()
        assert await handle.signal(signal.SIGTERM) >= 1
        assert await ends(handle) == 128 + signal.SIGTERM
        await handle.cleanup()
        assert not await handle.alive()
        assert contract.traces(spec.dyno_id) == []

    run(scenario)


def test_a_dyno_that_ignores_sigterm_lives_until_sigkill(contract: Contract) -> None:
    async def scenario() -> None:
        handle = await contract.executor.start(
            contract.spec(
                Program(lines=("ready",), runs_for=None, ignores=frozenset({signal.SIGTERM}))
            )
        )
        assert await asyncio.wait_for(handle.read(), LONG) == b"ready\n"  # the trap is set
        assert await handle.signal(signal.SIGTERM) >= 1
        done, _ = await asyncio.wait([asyncio.ensure_future(handle.wait())], timeout=0.5)
        assert not done
        assert await handle.alive()
        assert await handle.signal(signal.SIGKILL) >= 1
        assert await ends(handle) == 128 + signal.SIGKILL
        await handle.cleanup()

    run(scenario)


def test_what_the_main_process_leaves_behind_is_found_and_cleaned_up(contract: Contract) -> None:
    async def scenario() -> None:
        spec = contract.spec(Program(leaves_behind=True, exit_status=0))
        handle = await contract.executor.start(spec)
        assert await ends(handle) == 0
        assert await handle.alive()  # its daemonized child
        await handle.cleanup()
        await until_gone(handle)
        assert await handle.signal(signal.SIGTERM) == 0  # nobody left to receive it
        await handle.cleanup()  # idempotent
        assert contract.traces(spec.dyno_id) == []

    run(scenario)


def test_a_signal_reaches_daemonized_children_too(contract: Contract) -> None:
    async def scenario() -> None:
        spec = contract.spec(Program(leaves_behind=True, runs_for=None))
        handle = await contract.executor.start(spec)
        await asyncio.sleep(0.2)  # the child is out of the session by now
        assert await handle.alive()
        # at least the main process received it (in a PID namespace its end takes the rest)
        assert await handle.signal(signal.SIGKILL) >= 1
        assert await ends(handle) == 128 + signal.SIGKILL
        await until_gone(handle)
        await handle.cleanup()
        assert contract.traces(spec.dyno_id) == []

    run(scenario)


def test_usage_is_reported_while_it_runs(contract: Contract) -> None:
    async def scenario() -> None:
        handle = await contract.executor.start(contract.spec(Program(runs_for=None)))
        used = await handle.usage()
        if used is not None:  # an executor may not know; if it does, the figures are sane
            assert min(used.rss, used.swap, used.cpu_seconds) >= 0
            assert used.total == used.rss + used.swap
        await handle.signal(signal.SIGKILL)
        await ends(handle)
        await handle.cleanup()

    run(scenario)


def test_an_attached_dyno_talks_through_its_terminal(contract: Contract) -> None:
    for terminal in (PIPES, TTY):

        async def scenario(terminal: Terminal = terminal) -> None:
            handle = await contract.executor.start(
                contract.spec(Program(echo_input=True, exit_status=0), terminal=terminal)
            )
            stream = handle.terminal
            assert stream is not None
            await stream.write(b"hello\n")
            seen = b""
            while b"got hello" not in seen:
                chunk = await asyncio.wait_for(stream.read(), LONG)
                assert chunk, f"the terminal closed before the answer: {seen!r}"
                seen += chunk
            stream.end_input()
            assert await ends(handle) == 0
            stream.close()
            await handle.cleanup()

        run(scenario)


def test_a_web_dyno_gets_an_address_and_its_port(contract: Contract) -> None:
    async def scenario() -> None:
        handle = await contract.executor.start(
            contract.spec(Program(env_names=("PORT",)), web=True)
        )
        assert handle.address is not None
        _, port = handle.address
        assert (await read_all(handle)) == f"PORT={port}\n".encode()
        await ends(handle)
        await handle.cleanup()
        other = await contract.executor.start(contract.spec(Program()))
        assert other.address is None
        await ends(other)
        await other.cleanup()

    run(scenario)


def test_many_dynos_at_once_each_keep_their_own_output_and_status(contract: Contract) -> None:
    async def one(n: int) -> tuple[bytes, int]:
        handle = await contract.executor.start(
            contract.spec(Program(lines=(f"dyno {n}",), exit_status=n, runs_for=0.05))
        )
        out = await read_all(handle)
        status = await ends(handle)
        await handle.cleanup()
        return out, status

    async def scenario() -> None:
        results = await asyncio.gather(*(one(n) for n in range(20)))
        assert results == [(f"dyno {n}\n".encode(), n) for n in range(20)]

    run(scenario)


def test_reconcile_ignores_ids_it_does_not_know(contract: Contract) -> None:
    async def scenario() -> None:
        await contract.executor.reconcile(["no-such-dyno", "another"])

    run(scenario)


def test_reconcile_removes_what_a_dead_server_left(contract: Contract) -> None:
    async def scenario() -> None:
        spec = contract.spec(Program(runs_for=None, leaves_behind=True))
        handle = await contract.executor.start(spec)
        assert await handle.alive()
        # the server that started it is gone: nothing follows the handle any more
        await contract.executor.reconcile([spec.dyno_id])
        assert await ends(handle) == 128 + signal.SIGKILL
        await until_gone(handle)
        await handle.cleanup()
        assert contract.traces(spec.dyno_id) == []

    run(scenario)
