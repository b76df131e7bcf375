"""P2: whole wall time of `runoff run:detached true` beside `honcho run true`, same run.

Both are Python programs started from scratch; runoff's includes one HTTP request to a local
server that records and starts the dyno. Target: runoff ≤ 1.0× honcho (median).

    .venv/bin/python -m bench.p2_cli_wall [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import TOKEN, Client, Server, print_table, summary_ms


def wall(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    runoff, honcho = str(bindir / "runoff"), str(bindir / "honcho")
    if not Path(honcho).exists():
        honcho = shutil.which("honcho") or sys.exit("honcho is not installed (dev extras)")
    workdir = tempfile.mkdtemp(prefix="p2-")
    with Server() as server:
        Client(server.url).call("POST", "/apps", {"name": "bench-p2"})
        env = {**os.environ, "RUNOFF_API_URL": server.url, "RUNOFF_API_KEY": TOKEN}
        runoff_argv = [runoff, "run:detached", "-a", "bench-p2", "true"]
        honcho_argv = [honcho, "run", "true"]
        for _ in range(3):  # warm the page cache for both
            wall(runoff_argv, env, workdir)
            wall(honcho_argv, env, workdir)
        ours, theirs = [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            ours.append(wall(runoff_argv, env, workdir))
            theirs.append(wall(honcho_argv, env, workdir))
    shutil.rmtree(workdir)
    a, b = summary_ms(ours), summary_ms(theirs)
    print_table(
        "P2 CLI wall time (process start to exit)",
        [("runoff run:detached true", a), ("honcho run true (baseline)", b)],
    )
    print(f"  ratio runoff/honcho: p50 {a['p50'] / b['p50']:.2f}x (target <= 1.0x)")


if __name__ == "__main__":
    main()
