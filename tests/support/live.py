"""A real runoff server on a free loopback port, in a thread of the test process or in its own.

Servers bind port 0 and report the port they got (never pick a free port to bind it later:
another process can take it in between).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from pathlib import Path

import uvicorn

from runoff.clock import Clock
from runoff.dynos.executor import Executor
from runoff.platform import Platform
from runoff.server import listen
from runoff.settings import Settings
from runoff.web.app import create_app

ADMIN_TOKEN = "test-admin-token"
LISTENING = re.compile(rb"^runoff: listening on http://[^\s]+:(\d+)$", re.M)
ATTACHING = re.compile(rb"^runoff: attached runs \(`run`\) connect with TLS to [^\s]+:(\d+)$", re.M)


def test_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings.from_env(
        {"RUNOFF_DATA_DIR": str(data_dir), "RUNOFF_DATABASE_URL": database_url}
    )
    values: dict[str, object] = {
        "admin_token": ADMIN_TOKEN,
        "port": 0,
        "stop_grace_seconds": 3.0,
        "rendezvous_port": 0,
    }
    values.update(overrides)
    return base.with_overrides(**values)


class LiveServer:
    def __init__(
        self, settings: Settings, clock: Clock | None = None, executor: Executor | None = None
    ) -> None:
        self._sock = listen(settings.host, settings.port)
        self.settings = settings = settings.with_overrides(port=self._sock.getsockname()[1])
        self.platform = Platform(settings, clock=clock, executor=executor)
        self.platform.bootstrap()
        config = uvicorn.Config(
            create_app(self.platform),
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="live-server", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: SystemExit | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except SystemExit as exc:  # how uvicorn ends when the lifespan fails (it logs why)
            self.error = exc
        finally:
            self.loop.close()
            self._sock.close()

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = 200
        while not self._server.started and deadline:
            if not self._thread.is_alive():
                raise RuntimeError(f"the test server failed to start: {self.error!r}")
            threading.Event().wait(0.025)
            deadline -= 1
        if not self._server.started:
            raise RuntimeError("the test server did not start in 5 s")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)


class ServerProcess:
    """``runoff server`` as a separate process, for tests that kill or signal it."""

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        import os
        import sys

        self.port = 0  # the one it got, once started
        self.rendezvous_port = 0
        self.env = {
            **os.environ,
            "RUNOFF_DATA_DIR": str(data_dir),
            "RUNOFF_DATABASE_URL": database_url,
            "RUNOFF_ADMIN_TOKEN": ADMIN_TOKEN,
            "RUNOFF_PORT": "0",
            "RUNOFF_STOP_GRACE_SECONDS": "2",
            "RUNOFF_RENDEZVOUS_PORT": "0",
            **env,
        }
        self.argv = [sys.executable, "-m", "runoff.server"]
        self.log = data_dir.parent / "server.log"  # appended to by each start
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start and wait for its ready lines; ``RuntimeError`` with its output as soon as it
        exits instead."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.log.read_bytes()[offset:]
            listening, attaching = LISTENING.search(output), ATTACHING.search(output)
            if listening and attaching:
                self.port, self.rendezvous_port = int(listening[1]), int(attaching[1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {output.decode(errors='replace')}")
            threading.Event().wait(0.025)
        raise RuntimeError(f"server not ready within {timeout} s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout)
