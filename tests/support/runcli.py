"""Running the real ``runoff`` CLI in-process against a live server."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from runoff.cli.context import System
from runoff.cli.main import main


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(url: str, token: str, home: Path, *argv: str) -> CliResult:
    """``runoff ARGV`` with ``RUNOFF_API_URL``/``RUNOFF_API_KEY`` set and ``home`` as HOME."""
    out, err = io.StringIO(), io.StringIO()
    system = System(
        env={"HOME": str(home), "RUNOFF_API_URL": url, "RUNOFF_API_KEY": token},
        cwd=str(home),
        stdin=io.StringIO(""),
        stdout=out,
        stderr=err,
    )
    code = main(list(argv), system)
    return CliResult(code, out.getvalue(), err.getvalue())
