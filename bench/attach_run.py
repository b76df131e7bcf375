"""Attached runs: whole wall time of `runoff run -- true`, attach included, in the same run as
`runoff run:detached true` and a bare local `bash -c true`.

`runoff run` starts the CLI, creates the dyno (API), opens TLS to the rendezvous port, claims
the secret, bridges until the dyno ends and exits with its status; `run:detached` returns once
the dyno is up. Samples are interleaved, so machine noise hits every variant alike.

    .venv/bin/python -m bench.attach_run [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import TOKEN, Client, Server, print_table, summary_ms


def wall(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    runoff = str(Path(sys.executable).parent / "runoff")
    workdir = tempfile.mkdtemp(prefix="attach-bench-")
    variants = {
        "runoff run -- true (pty, attach included)": [runoff, "run", "-a", "bench-at", "--"],
        "runoff run --no-tty -- true": [runoff, "run", "--no-tty", "-a", "bench-at", "--"],
        "runoff run:detached true": [runoff, "run:detached", "-a", "bench-at"],
        "bash -c true (local baseline)": ["bash", "-c"],
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    with Server() as server:
        Client(server.url).call("POST", "/apps", {"name": "bench-at"})
        env = {**os.environ, "RUNOFF_API_URL": server.url, "RUNOFF_API_KEY": TOKEN}
        for _ in range(3):  # warm-up
            for argv in variants.values():
                wall([*argv, "true"], env, workdir)
        for _ in range(args.runs):
            for name, argv in variants.items():
                samples[name].append(wall([*argv, "true"], env, workdir))
    os.rmdir(workdir)
    rows = [(name, summary_ms(values)) for name, values in samples.items()]
    print_table(f"Attached run wall time (SQLite, {os.cpu_count()} cores)", rows)
    attached, detached = rows[0][1]["p50"], rows[2][1]["p50"]
    print(f"  attach cost over run:detached: p50 {attached - detached:+.1f} ms")


if __name__ == "__main__":
    main()
