"""The registry of runoff server processes sharing one store.

Each server records itself with a heartbeat. Dynos carry the id of the server that runs them,
so after a crash the next server on that host can tell which running records have no live
process behind them any more.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, update

from runoff.clock import US_PER_SECOND, Clock
from runoff.store.rows import new_id
from runoff.store.schema import servers

HEARTBEAT_SECONDS = 5
STALE_AFTER_SECONDS = 30


@dataclass(frozen=True)
class ServerRecord:
    id: str
    host: str
    pid: int


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_identity(pid: int) -> str | None:
    """Who ``pid`` is, beyond its number: this boot and the process's start time (a pid is
    reused, by a restarted container's first process for one). None when no such process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return f"{boot}:{fields[19].decode()}" if len(fields) > 19 else None


class ServerRegistry:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self.host = socket.gethostname()

    def register(self) -> ServerRecord:
        record = ServerRecord(new_id(), self.host, os.getpid())
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            conn.execute(
                servers.insert().values(
                    id=record.id,
                    host=record.host,
                    pid=record.pid,
                    process=process_identity(record.pid),
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        return record

    def heartbeat(self, record: ServerRecord) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(servers)
                .where(servers.c.id == record.id)
                .values(heartbeat_at=self._clock.now_us())
            )

    def stopped(self, record: ServerRecord) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(servers)
                .where(servers.c.id == record.id)
                .values(stopped_at=self._clock.now_us())
            )

    def dead(self, me: ServerRecord) -> list[ServerRecord]:
        """Servers whose dynos nobody runs any more.

        On this host: stopped, or whose process is gone. Elsewhere: stopped, or silent for
        longer than ``STALE_AFTER_SECONDS``.
        """
        stale_before = self._clock.now_us() - STALE_AFTER_SECONDS * US_PER_SECOND
        with self._engine.connect() as conn:
            rows = list(conn.execute(select(servers).where(servers.c.id != me.id)))
        found = []
        for row in rows:
            gone = row.stopped_at is not None
            if row.host == self.host and row.process is not None:
                # several servers may share a process (tests); a reused pid is not theirs
                gone = gone or process_identity(row.pid) != row.process
            elif row.host == self.host:  # recorded before 0004: no identity
                gone = gone or row.pid == me.pid or not _pid_alive(row.pid)
            else:
                gone = gone or row.heartbeat_at < stale_before
            if gone:
                found.append(ServerRecord(row.id, row.host, row.pid))
        return found
