"""An open-loop HTTP/1.1 load driver on asyncio streams, for loopback servers only.

Open loop: request ``i`` of a step is due at ``start + i / rate`` whatever happened to the
ones before it, and its latency is counted from that due time, so time spent queueing (in
the server, or here waiting for a free connection) is part of the figure and never hidden.
Each request waits at most ``deadline`` seconds from its due time; one that has not been
answered by then is an error (``timeout``) and its connection is dropped.

Keep-alive connections are pooled and opened on demand up to ``connections``; one process
holds 1,000 requests/s with a few percent of a core per hundred (``bench.load_api`` measures
it against a bare app and prints the driver's CPU beside each step).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    """One request of the mix: ``kind`` groups it in the per-kind figures."""

    kind: str
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Step:
    """What one step of the open loop measured (latencies in seconds from each due time)."""

    rate: float
    sent: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    driver_cpu: float = 0.0  # seconds of this process's CPU over the step

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("2"))

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    @property
    def achieved(self) -> float:
        """Successful answers per second over the step (from its start to its last answer)."""
        return self.ok / self.elapsed if self.elapsed else 0.0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, host: str, call: Call) -> Answer:
        head = [f"{call.method} {call.path} HTTP/1.1", f"Host: {host}"]
        head += [f"{name}: {value}" for name, value in call.headers]
        if call.body or call.method in ("POST", "PATCH", "PUT"):
            head.append(f"Content-Length: {len(call.body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + call.body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return Answer(status, headers, body)

    async def _chunked(self) -> bytes:
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return b"".join(parts)

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections to ``host:port``, opened on demand up to ``size``; one idle
    longer than ``IDLE_SECONDS`` is closed rather than reused (uvicorn drops them after 5 s)."""

    IDLE_SECONDS = 3.0

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[Connection, float]] = []
        self._slots = asyncio.Semaphore(size)

    def _reuse(self) -> Connection | None:
        while self._idle:
            conn, since = self._idle.pop()
            if time.monotonic() - since < self.IDLE_SECONDS:
                return conn
            conn.close()
        return None

    async def send(self, call: Call) -> Answer:
        async with self._slots:
            conn = self._reuse() or await self._open()
            try:
                answer = await conn.send(f"{self.host}:{self.port}", call)
            except BaseException:
                conn.close()
                raise
            if answer.headers.get("connection", "").lower() == "close":
                conn.close()
            else:
                self._idle.append((conn, time.monotonic()))
            return answer

    async def _open(self) -> Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=2**22)
        return Connection(reader, writer)

    def close(self) -> None:
        for conn, _ in self._idle:
            conn.close()
        self._idle.clear()


async def run_step(
    pool: Pool,
    rate: float,
    duration: float,
    next_call: Callable[[], Call],
    *,
    deadline: float = 10.0,
    on_answer: Callable[[Call, Answer], None] | None = None,
) -> Step:
    """Send ``rate`` requests per second for ``duration`` seconds, open loop (module doc)."""
    count = max(1, round(rate * duration))
    step = Step(rate=rate, sent=count, elapsed=0.0)
    cpu_before = sum(os.times()[:2])
    start = time.perf_counter()
    last_answer = start

    async def one(due: float, call: Call) -> None:
        nonlocal last_answer
        status = "timeout"
        try:
            remaining = max(0.001, due + deadline - time.perf_counter())
            answer = await asyncio.wait_for(pool.send(call), remaining)
            status = str(answer.status)
            if on_answer is not None:
                on_answer(call, answer)
        except TimeoutError:
            pass
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            status = "connection"
        now = time.perf_counter()
        last_answer = max(last_answer, now)
        latency = min(now - due, deadline)
        step.latencies.append(latency)
        step.by_kind.setdefault(call.kind, []).append(latency)
        step.statuses[status] += 1

    tasks = []
    for index in range(count):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, next_call())))
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks)
    step.elapsed = max(duration, last_answer - start)
    step.driver_cpu = sum(os.times()[:2]) - cpu_before
    return step
