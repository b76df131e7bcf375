"""Shared helpers for the benchmarks: a throwaway runoff server, timing and reporting."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOKEN = "bench-token"


LISTENING = re.compile(rb"^runoff: listening on http://[^\s]+:(\d+)$", re.M)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "p50": percentile(ms, 0.50),
        "p99": percentile(ms, 0.99),
        "mean": statistics.fmean(ms),
        "n": len(ms),
    }


def print_table(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"  {'what':<52} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}")
    for name, stats in rows:
        print(
            f"  {name:<52} {int(stats['n']):>5} {stats['p50']:>9.2f} {stats['p99']:>9.2f}"
            f" {stats['mean']:>9.2f}"
        )


class Server:
    """``runoff server`` in a subprocess with its own data dir (SQLite unless a URL is given),
    on ports it picks itself (``port`` is the API's once started)."""

    def __init__(self, database_url: str | None = None, **env: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="runoff-bench-")
        self.port = 0
        self.env = {
            **os.environ,
            "RUNOFF_DATA_DIR": str(Path(self.tmp.name) / "data"),
            "RUNOFF_ADMIN_TOKEN": TOKEN,
            "RUNOFF_PORT": "0",
            "RUNOFF_RENDEZVOUS_PORT": "0",  # attached runs: any free port, no clash
            "RUNOFF_ONEOFF_LIMIT": "10000",
            **env,
        }
        if database_url:
            self.env["RUNOFF_DATABASE_URL"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        path = Path(self.tmp.name) / "server.log"
        with path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "runoff.server"], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if found := LISTENING.search(path.read_bytes()):
                self.port = int(found[1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"the runoff server did not start:\n{path.read_text()}")
            time.sleep(0.025)
        raise RuntimeError("the runoff server did not start within 60 s")

    def __exit__(self, *_: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(60)
        self.tmp.cleanup()


class Client:
    """One keep-alive HTTP connection to the API."""

    def __init__(self, url: str, token: str = TOKEN) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.heroku+json; version=3",
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


def slug_of_size(megabytes: int) -> bytes:
    """A gzipped tar of ``megabytes`` MB of incompressible files plus a Procfile."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for index in range(megabytes):
            data = os.urandom(1024 * 1024)
            info = tarfile.TarInfo(f"vendor/blob-{index:03d}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        procfile = b"worker: echo working\n"
        info = tarfile.TarInfo("Procfile")
        info.size = len(procfile)
        tar.addfile(info, io.BytesIO(procfile))
    return buffer.getvalue()


@contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)
