"""docs/cli.md is generated from the parser: it must match what scripts/gen-cli-docs writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runoff.cli.config import PRECEDENCE
from runoff.cli.docs import render_markdown
from runoff.cli.main import Cli

ROOT = Path(__file__).resolve().parents[2]


def test_docs_cli_md_is_up_to_date() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == render_markdown(), (
        "docs/cli.md is stale: run .venv/bin/python scripts/gen-cli-docs"
    )


def test_reference_states_the_precedence_and_every_command() -> None:
    text = render_markdown()
    assert PRECEDENCE in text
    for name in Cli().commands.commands:
        assert f"\n## runoff {name}\n" in text
        assert f"usage: runoff {name} " in text


def test_generator_check_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-cli-docs"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
