"""A real runoff server on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from pathlib import Path

import uvicorn

from runoff.platform import Platform
from runoff.settings import Settings
from runoff.web.app import create_app

ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings.from_env(
        {"RUNOFF_DATA_DIR": str(data_dir), "RUNOFF_DATABASE_URL": database_url}
    )
    values: dict[str, object] = {
        "admin_token": ADMIN_TOKEN,
        "port": free_port(),
        "stop_grace_seconds": 3.0,
    }
    values.update(overrides)
    return base.with_overrides(**values)


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.platform = Platform(settings)
        self.platform.bootstrap()
        config = uvicorn.Config(
            create_app(self.platform),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="live-server", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._server.serve())
        self.loop.close()

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = 200
        while not self._server.started and deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the test server failed to start")
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

        self.port = free_port()
        self.env = {
            **os.environ,
            "RUNOFF_DATA_DIR": str(data_dir),
            "RUNOFF_DATABASE_URL": database_url,
            "RUNOFF_ADMIN_TOKEN": ADMIN_TOKEN,
            "RUNOFF_PORT": str(self.port),
            "RUNOFF_STOP_GRACE_SECONDS": "2",
            **env,
        }
        self.argv = [sys.executable, "-m", "runoff.server"]
        self.log = data_dir.parent / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        import urllib.request

        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=out)
        for _ in range(400):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                threading.Event().wait(0.025)
        raise RuntimeError("server did not answer within 10 s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout)
